// Bench worker for selfnorm: one wasm instance, one session on the backend named in the URL
// (?backend=webgpu|cpu), reused for every setting; a wasm instance can create only one WebGPU
// device. Protocol (shared with tfjs-worker.js, see main.js): 'init' → 'ready', 'run' → 'result',
// 'memory' → 'memory'; failures answer 'error'. A result row carries `gpu_counts`, the WebGPU calls
// its run made (gpu-count.js, evaluated before the wasm glue).
import './gpu-count.js';
import init, { createSession } from '../pkg/selfnorm.js';

const params = new URL(self.location.href).searchParams;
const backend = params.get('backend') ?? 'cpu';
// ?step=generic: train with the generic autodiff step even where the fused one applies.
const fused = params.get('step') !== 'generic';
let wasm = null;
let session = null;

/** The wasm instance's linear memory: it only grows, so its size is the instance's peak. */
function memory() {
  return { wasm_memory_bytes: wasm?.memory?.buffer.byteLength ?? null };
}

const handlers = {
  async init() {
    wasm = await init();
    session = await createSession(backend);
    return { type: 'ready', backend: session.backend(), threads: 1, ...memory() };
  },
  async run({ config }) {
    const { result: row, gpu_counts } = await self.gpuCount.during(() => session.bench({ ...config, fused }));
    return { type: 'result', row: { ...row, threads: 1, ...memory(), gpu_counts } };
  },
  memory() {
    return { type: 'memory', ...memory() };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, ...(await handlers[data.type](data)) });
  } catch (error) {
    self.postMessage({ id: data.id, type: 'error', message: String(error?.message ?? error) });
  }
};
