// Loaded into the training worker before the wasm glue by scripts/measure-memory.mjs (never by
// the site itself). Counts what the worker holds: the wasm instance's linear memory, and the
// GPU buffers alive with their bytes. wgpu's web backend never calls `destroy()` (dropping a
// buffer only lets JS collect it), so a buffer counts as alive until it is destroyed or its
// wrapper is garbage-collected; with `--js-flags=--expose-gc` a collection runs before each
// sample, so "alive" means still referenced (by Burn's memory pools or a live tensor).
// Posts a sample every second on the BroadcastChannel 'selfnorm-memory'.

const channel = new BroadcastChannel('selfnorm-memory');
const gpu = { live: 0, liveBytes: 0, created: 0, destroyed: 0, collected: 0, peakBytes: 0 };
const sizes = new WeakMap();
let memory = null;

function release(size, how) {
  gpu.live--;
  gpu[how]++;
  gpu.liveBytes -= size;
}
// Held values are sizes plus a flag object shared with `destroy`, so a buffer is released once.
const collected = new FinalizationRegistry(({ size, state }) => {
  if (!state.released) release(size, 'collected');
});

if (self.GPUDevice) {
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function countedCreate(descriptor) {
    const buffer = createBuffer.call(this, descriptor);
    const state = { released: false };
    sizes.set(buffer, { size: descriptor.size, state });
    collected.register(buffer, { size: descriptor.size, state });
    gpu.live++;
    gpu.created++;
    gpu.liveBytes += descriptor.size;
    gpu.peakBytes = Math.max(gpu.peakBytes, gpu.liveBytes);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function countedDestroy() {
    const entry = sizes.get(this);
    if (entry && !entry.state.released) {
      entry.state.released = true;
      release(entry.size, 'destroyed');
    }
    return destroy.call(this);
  };
}

// The glue instantiates the module once; keep its exported memory.
const keepMemory = (result) => {
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  memory = instance?.exports?.memory ?? memory;
  return result;
};
for (const name of ['instantiate', 'instantiateStreaming']) {
  const original = WebAssembly[name];
  WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then(keepMemory);
}

setInterval(() => {
  self.gc?.();
  channel.postMessage({ t: performance.now(), wasmBytes: memory?.buffer.byteLength ?? null, gpu: { ...gpu } });
}, 1000);
