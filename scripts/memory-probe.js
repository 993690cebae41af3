// Loaded into the training worker before the wasm glue by scripts/measure-memory.mjs (never by
// the site itself). Counts what the worker holds: the wasm instance's linear memory, and the
// GPU buffers alive (created and not destroyed) with their bytes, which is what Burn's memory
// pools hold on WebGPU. Posts a sample every second on the BroadcastChannel 'selfnorm-memory'.

const channel = new BroadcastChannel('selfnorm-memory');
const gpu = { live: 0, liveBytes: 0, created: 0, destroyed: 0, peakBytes: 0 };
const sizes = new WeakMap();
let memory = null;

if (self.GPUDevice) {
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function countedCreate(descriptor) {
    const buffer = createBuffer.call(this, descriptor);
    sizes.set(buffer, descriptor.size);
    gpu.live++;
    gpu.created++;
    gpu.liveBytes += descriptor.size;
    gpu.peakBytes = Math.max(gpu.peakBytes, gpu.liveBytes);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function countedDestroy() {
    if (sizes.has(this)) {
      gpu.live--;
      gpu.destroyed++;
      gpu.liveBytes -= sizes.get(this);
      sizes.delete(this);
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
  channel.postMessage({ t: performance.now(), wasmBytes: memory?.buffer.byteLength ?? null, gpu: { ...gpu } });
}, 1000);
