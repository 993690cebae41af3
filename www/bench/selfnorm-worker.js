// Bench worker for selfnorm: one wasm instance, one session on the backend named in the URL
// (?backend=webgpu|cpu), reused for every setting; a wasm instance can create only one WebGPU
// device. Protocol (shared with tfjs-worker.js, see main.js): 'init' → 'ready', 'run' → 'result',
// 'memory' → 'memory'; failures answer 'error'.
import init, { createSession } from '../pkg/selfnorm.js';

const backend = new URL(self.location.href).searchParams.get('backend') ?? 'cpu';
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
    const row = await session.bench(config);
    return { type: 'result', row: { ...row, threads: 1, ...memory() } };
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
