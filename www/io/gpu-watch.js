// Keeps an eye on the WebGPU devices the wasm module creates, which Burn gives no handle on:
// `requestDevice` is wrapped (before the wasm glue loads) so a lost device is noticed at once
// and named, instead of surfacing later as a wasm trap or as zeros read back.

/** Returns `{lost, errors, backend, onLost}`: `lost` becomes the loss's message. */
export function watchGpuDevices() {
  const watch = { lost: null, errors: [], backend: null, onLost: null };
  const proto = globalThis.GPUAdapter?.prototype;
  if (!proto?.requestDevice) return watch;
  const requestDevice = proto.requestDevice;
  proto.requestDevice = async function watchedRequestDevice(...args) {
    const device = await requestDevice.apply(this, args);
    device.lost.then((info) => {
      watch.lost = `${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}`;
      watch.onLost?.();
    });
    device.addEventListener('uncapturederror', (event) => {
      // Kept for the error message a later failure shows; a handful is enough to diagnose.
      if (watch.errors.length < 5) watch.errors.push(event.error?.message ?? String(event.error));
    });
    return device;
  };
  return watch;
}
