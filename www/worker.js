// The training worker: owns the wasm module and the Burn device; the page never runs tensors.
// Protocol: protocol.js.
import init, { createSession, variants, lessons, lessonFinding } from './pkg/selfnorm.js';
import { ToWorker, FromWorker } from './protocol.js';

let session = null;
let runId = null;
let training = false;
let control = { pause: false, stop: false, stepEpoch: false };
const pendingShards = [];
const queue = [];
let handling = false;
let current = null; // the request being handled

const post = (type, fields = {}, transfer = []) => self.postMessage({ type, ...fields }, transfer);
const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A wasm trap (panic, lost device, out of memory) leaves the instance unusable. */
function isFatal(error) {
  return error instanceof WebAssembly.RuntimeError || /unreachable|memory access out of bounds|Device.*lost/i.test(String(error?.message ?? error));
}

function errorMessage(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    return `The training engine crashed (${error.message}). The GPU device may have been lost or run out of memory. Your run's history is kept; restart it, on the CPU backend if this repeats.`;
  }
  return String(error?.message ?? error);
}

async function pickBackend(requested) {
  if (requested === 'cpu') return { backend: 'cpu', adapter: null, reason: 'CPU backend (Burn flex, in wasm), as selected.' };
  if (!('gpu' in navigator)) {
    return { backend: 'cpu', adapter: null, reason: 'This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU backend (Burn flex, in wasm). Use a recent Chrome or Edge for GPU training.' };
  }
  const gpuAdapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!gpuAdapter) {
    return { backend: 'cpu', adapter: null, reason: 'WebGPU is present but no GPU adapter is available (blocked or unsupported GPU), so training runs on the CPU backend.' };
  }
  const info = gpuAdapter.info ?? {};
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''} ${info.device ?? ''}`;
  const software = Boolean(gpuAdapter.isFallbackAdapter || info.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|software|microsoft basic/i.test(text);
  const adapter = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', software };
  const name = text.trim() || 'an unnamed adapter';
  if (requested === 'webgpu') {
    return { backend: 'webgpu', adapter, reason: software ? `WebGPU on a software adapter (${name}), as selected: expect it to be slower than the CPU backend.` : `WebGPU on ${name}, as selected.` };
  }
  if (software) {
    return { backend: 'cpu', adapter, reason: `The only WebGPU adapter is a software one (${name}), which emulates a GPU on the CPU; Burn's CPU backend is faster here, so it was picked. Switch to WebGPU to compare.` };
  }
  return { backend: 'webgpu', adapter, reason: `WebGPU on ${name}.` };
}

function flushShards() {
  let status = null;
  while (pendingShards.length) {
    const { split, index, bytes } = pendingShards.shift();
    status = session.addShard(split, index, new Uint8Array(bytes));
  }
  if (status) post(FromWorker.DATA_STATUS, { status });
}

async function finishRun(reason) {
  if (reason) session.finish(reason);
  const start = performance.now();
  const probe = await session.probe();
  post(FromWorker.PROBE, { runId, probe });
  const valid = await session.evaluate('valid');
  const status = session.dataStatus();
  const testReady = status.loaded[2] === status.expected[2] && status.expected[2] > 0;
  const test = testReady ? await session.evaluate('test') : null;
  post(FromWorker.FINISHED, { runId, history: session.history(), valid, test, seconds: (performance.now() - start) / 1000 });
}

async function trainLoop() {
  training = true;
  try {
    for (;;) {
      flushShards();
      if (control.stop) {
        await finishRun({ kind: 'stopped' });
        return;
      }
      if (control.pause) {
        post(FromWorker.PAUSED, { runId, reason: control.stepEpoch ? 'step-epoch' : 'pause' });
        return;
      }
      if (session.probeDue()) post(FromWorker.PROBE, { runId, probe: await session.probe() });
      const progress = await session.trainChunk();
      post(FromWorker.PROGRESS, { runId, progress });
      if (progress.epoch_complete) {
        const summary = await session.endEpoch();
        post(FromWorker.EPOCH, { runId, summary });
        if (summary.finished) {
          await finishRun(null);
          return;
        }
        if (control.stepEpoch) control.pause = true;
      }
      await yieldToEvents();
    }
  } catch (error) {
    let history = null;
    try { history = session.history(); } catch { /* the instance may be gone */ }
    post(FromWorker.ERROR, { runId, during: ToWorker.TRAIN, message: errorMessage(error), fatal: isFatal(error), history });
  } finally {
    training = false;
  }
}

function startTraining(stepEpoch) {
  control = { pause: false, stop: false, stepEpoch };
  if (!training) trainLoop();
}

const handlers = {
  async [ToWorker.INIT]({ backend }) {
    await init();
    const choice = await pickBackend(backend ?? 'auto');
    session = await createSession(choice.backend);
    post(FromWorker.READY, { ...choice, variants: variants() });
  },
  [ToWorker.DATASET]({ manifest, stats }) {
    pendingShards.length = 0;
    post(FromWorker.DATA_STATUS, { status: session.loadManifest(manifest, new Uint8Array(stats)) });
  },
  [ToWorker.SHARD](message) {
    // While the trainer is busy (training, LR finder…) the dataset is lent to it: queue.
    pendingShards.push(message);
    if (!training && !handling) flushShards();
  },
  [ToWorker.SYNTHETIC]({ train, valid, test, seed }) {
    post(FromWorker.DATA_STATUS, { status: session.useSynthetic(train, valid, test, BigInt(seed ?? 0)) });
  },
  [ToWorker.CONFIGURE](message) {
    runId = message.runId;
    post(FromWorker.CONFIGURED, { runId, info: session.configure(message.run) });
  },
  async [ToWorker.FIND_LR]({ sweep }) {
    const start = performance.now();
    const result = await session.findLr(sweep);
    post(FromWorker.LR_FOUND, { result, seconds: (performance.now() - start) / 1000 });
  },
  [ToWorker.TRAIN]() { startTraining(false); },
  [ToWorker.STEP_EPOCH]() { startTraining(true); },
  [ToWorker.PAUSE]() { control.pause = true; },
  async [ToWorker.STOP]() {
    if (training) control.stop = true;
    else await finishRun({ kind: 'stopped' });
  },
  async [ToWorker.EVALUATE]({ split }) {
    post(FromWorker.EVALUATION, { split, result: await session.evaluate(split) });
  },
  async [ToWorker.MC_DROPOUT]({ split, samples }) {
    const plain = await session.evaluate(split);
    const mc = [];
    for (const n of samples) mc.push(await session.evaluateMc(split, n));
    post(FromWorker.MC_DROPOUT, { split, plain, mc });
  },
  async [ToWorker.EXPORT_WEIGHTS]() {
    const bytes = (await session.exportWeights()).buffer;
    post(FromWorker.WEIGHTS, { bytes }, [bytes]);
  },
  [ToWorker.IMPORT_WEIGHTS]({ bytes }) {
    session.importWeights(new Uint8Array(bytes));
    post(FromWorker.IMPORTED);
  },
  [ToWorker.LESSONS]({ options }) {
    post(FromWorker.LESSONS, { lessons: lessons(options ?? {}) });
  },
  async [ToWorker.ZERO_FRACTIONS]({ threshold }) {
    post(FromWorker.ZERO_FRACTIONS, { threshold, fractions: await session.zeroFractions(threshold) });
  },
  async [ToWorker.PRUNE]({ levels }) {
    post(FromWorker.PRUNED, { results: await session.pruneAndEvaluate(Float64Array.from(levels)) });
  },
  [ToWorker.LESSON_FINDING]({ lesson, outcomes }) {
    post(FromWorker.LESSON_FINDING, { finding: lessonFinding(lesson, outcomes) });
  },
};

// Control messages act at once; everything else is handled one at a time, in order.
const immediate = new Set([ToWorker.PAUSE, ToWorker.STOP, ToWorker.SHARD]);

async function drain() {
  if (handling) return;
  handling = true;
  while (queue.length) {
    const message = queue.shift();
    current = message.type;
    try {
      if (!session && message.type !== ToWorker.INIT) throw new Error('the worker is not initialized yet');
      await handlers[message.type](message);
      if (!training && session) flushShards();
    } catch (error) {
      post(FromWorker.ERROR, { runId, during: message.type, message: errorMessage(error), fatal: isFatal(error) });
    }
  }
  handling = false;
  current = null;
}

// A trap inside a wasm task (a Rust future polled from the microtask queue, e.g. out of memory
// mid-step) does not reject the request's promise, which then never settles: it surfaces here.
// Report it as the fatal error it is, instead of letting the page see a bare worker error.
self.addEventListener('error', (event) => {
  event.preventDefault();
  const error = event.error ?? new WebAssembly.RuntimeError(event.message);
  post(FromWorker.ERROR, { runId, during: training ? ToWorker.TRAIN : current, message: errorMessage(error), fatal: true });
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  post(FromWorker.ERROR, { runId, during: training ? ToWorker.TRAIN : current, message: errorMessage(event.reason), fatal: isFatal(event.reason) });
});

self.onmessage = ({ data }) => {
  if (!(data?.type in handlers)) {
    post(FromWorker.ERROR, { during: data?.type, message: `unknown request '${data?.type}'`, fatal: false });
    return;
  }
  if (immediate.has(data.type) && session) {
    Promise.resolve(handlers[data.type](data)).catch((error) =>
      post(FromWorker.ERROR, { runId, during: data.type, message: errorMessage(error), fatal: isFatal(error) }));
    return;
  }
  queue.push(data);
  drain();
};
