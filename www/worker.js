// The training worker: owns the wasm module and the Burn device; the page never runs tensors.
// Protocol: io/protocol.js. Every request goes through one queue; a job (run, sweep, lesson) is
// driven by `advance` calls of the Rust state machines, with PAUSE/STOP seen between two of them.
import { watchGpuDevices } from './io/gpu-watch.js';
import init, { createSession, variants, choices, runLengths, lessons, exercisePlan, checkSettings, epochsCsv, probesCsv, readRunFile } from './pkg/selfnorm.js';
import { Request, Message } from './io/protocol.js';

const gpu = watchGpuDevices();
let session = null;
/** The run (or sweep, or lesson) that was driven and has not ended: STOP applies to it. */
let jobRunId = null;
let driving = false;
/** MC Dropout is running: STOP ends it after the current sample count. */
let sampling = false;
const control = { pause: false, stop: false, stepEpoch: false };
const pendingShards = [];
/** The latest PREVIEW request not yet computed (a newer one supersedes it). */
let pendingPreview = null;
const queue = [];
let handling = false;
/** The request being handled: a trap inside it is reported as its error. */
let current = null;

const post = (type, fields = {}, transfer = []) => self.postMessage({ type, ...fields }, transfer);
const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve, 0));

class WorkerFailure extends Error {
  constructor(message, kind, fatal) {
    super(message);
    this.kind = kind;
    this.fatal = fatal;
  }
}

/** What went wrong, as `{message, kind, fatal}`: a lost device and a wasm trap end the instance. */
function describe(error) {
  if (gpu.lost) {
    return { kind: 'device-lost', fatal: true, message: `The GPU was reset or lost (${gpu.lost}). The run's history and its best weights so far are kept; continue it on the CPU backend or on a new WebGPU device.` };
  }
  if (error instanceof WorkerFailure) return { kind: error.kind, fatal: error.fatal, message: error.message };
  if (error instanceof WebAssembly.RuntimeError || /unreachable|memory access out of bounds/i.test(String(error?.message ?? error))) {
    return { kind: 'engine', fatal: true, message: `The training engine crashed (${error.message}). The GPU device may have been lost or run out of memory. Your run's history is kept; restart it, on the CPU backend if this repeats.` };
  }
  return { kind: error?.kind ?? 'error', fatal: false, message: String(error?.message ?? error) };
}

async function pickBackend(requested) {
  if (requested === 'cpu') return { backend: 'cpu', adapter: null, reason: 'CPU backend (Burn flex, in wasm), as selected.' };
  if (!('gpu' in navigator)) {
    return { backend: 'cpu', adapter: null, reason: 'This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU backend (Burn flex, in wasm). For GPU training, open the page in a browser with WebGPU: Chrome or Edge 113 or later, Safari 26 or later, or Firefox 141 or later on Windows (on other systems in later Firefox versions).' };
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
  if (status) post(Message.DATA_STATUS, { status });
}

/** Keeps `message` as the preview to compute next; the one it replaces is answered as superseded. */
function holdPreview(message) {
  if (pendingPreview) post(Message.ANSWER, { id: pendingPreview.id, value: { superseded: true } });
  pendingPreview = message;
}

/** Computes the held preview, if any, and answers it; its failure is its answer, not the job's. */
async function flushPreview() {
  const message = pendingPreview;
  if (!message) return;
  pendingPreview = null;
  try {
    post(Message.ANSWER, { id: message.id, value: { preview: await session.preview(message.run) } });
  } catch (error) {
    const failure = describe(error);
    if (failure.fatal) post(Message.ERROR, { id: message.id, runId: null, ...failure });
    else post(Message.ANSWER, { id: message.id, value: { error: failure.message, kind: failure.kind } });
  }
}

/** After an epoch that improved on the best, a WebGPU run sends its weights, so a lost device keeps them. */
async function sendBestWeights(runId, summary) {
  if (gpu.backend !== 'webgpu' || summary.best_epoch !== summary.record.epoch) return;
  const bytes = (await session.exportWeights()).buffer;
  post(Message.EVENT, { runId, job: 'run', event: { kind: 'best-weights', epoch: summary.best_epoch, bytes } }, [bytes]);
}

/** A lesson's run (or an exercise's part) has ended and its restored weights are still in the session: send them. */
async function sendRunWeights(runId, index, job = 'lesson') {
  const bytes = (await session.exportWeights()).buffer;
  post(Message.EVENT, { runId, job, event: { kind: 'run-weights', index, bytes } }, [bytes]);
}

/** The page's run id for an event of the job (a lesson's runs each have their own). */
let runIdOf = () => null;

/**
 * Advances the session's job until it ends or is paused, posting its events.
 * Returns `{state: 'paused'|'done', last}` (`last`: the job's last event).
 */
async function drive() {
  driving = true;
  try {
    for (;;) {
      flushShards();
      await flushPreview();
      if (control.stop) {
        control.stop = false;
        control.pause = false;
        session.stop();
      }
      if (control.pause) return { state: 'paused' };
      if (gpu.lost) throw new Error('device lost');
      const { job, event } = await session.advance();
      if (gpu.lost) throw new Error('device lost');
      const runId = runIdOf(event);
      post(Message.EVENT, { runId, job, event });
      if (job === 'run' && event.kind === 'epoch-ended') await sendBestWeights(runId, event.summary);
      if (job === 'lesson' && event.kind === 'run-ended') await sendRunWeights(runId, event.index);
      if (job === 'exercise' && event.kind === 'part-ended') await sendRunWeights(runId, event.part, 'exercise');
      if (!session.jobActive()) {
        jobRunId = null;
        return { state: 'done', last: event };
      }
      if (control.stepEpoch && event.kind === 'epoch-ended') control.pause = true;
      await yieldToEvents();
    }
  } catch (error) {
    // The job is in an unknown state: STOP must not try to wind it up.
    jobRunId = null;
    throw error;
  } finally {
    driving = false;
  }
}

/** The EXERCISE (or CONTINUE) answer once the driving ends: paused, or the table. */
async function exerciseAnswer(driving) {
  const { state, last } = await driving;
  return state === 'paused' ? { state } : { state, table: last.table, stopped: last.stopped };
}

/** Drives a job whose events belong to `runId`, or to `runIds[event.index]` for a lesson (`runIds[event.part]` for the exercise). */
function startDriving({ runId, runIds = null, stepEpoch = false }) {
  Object.assign(control, { pause: false, stop: false, stepEpoch });
  jobRunId = runId;
  runIdOf = runIds ? (event) => runIds[event.index ?? event.part] ?? null : () => runId;
  return drive();
}

let configuredRunId = null;

const handlers = {
  async [Request.INIT]({ backend }) {
    await init();
    const choice = await pickBackend(backend ?? 'auto');
    session = await createSession(choice.backend);
    gpu.backend = choice.backend;
    // What it trains on, as far as run lengths and speed go (run_length.rs's TrainsOn).
    const trainsOn = choice.backend !== 'webgpu' ? 'cpu' : choice.adapter?.software ? 'software-gpu' : 'gpu';
    return { ...choice, trainsOn, variants: variants(), choices: choices(), lengths: runLengths(trainsOn) };
  },
  [Request.DATASET]({ manifest, stats }) {
    pendingShards.length = 0;
    jobRunId = null;
    return session.loadManifest(manifest, new Uint8Array(stats));
  },
  [Request.SHARD](message) {
    pendingShards.push(message);
    flushShards();
    return null;
  },
  [Request.SYNTHETIC]({ train, valid, test, seed }) {
    jobRunId = null;
    return session.useSynthetic(train, valid, test, BigInt(seed ?? 0));
  },
  [Request.CONFIGURE]({ runId, run }) {
    configuredRunId = runId;
    jobRunId = null;
    return session.configure(run);
  },
  [Request.TRAIN]({ stepEpoch }) {
    if (!configuredRunId) throw new WorkerFailure('configure a run before training it', 'config', false);
    return startDriving({ runId: configuredRunId, stepEpoch: Boolean(stepEpoch) });
  },
  async [Request.FIND_LR]({ runId, run, sweep }) {
    session.startSweep(run, sweep);
    configuredRunId = null;
    const { last } = await startDriving({ runId });
    return last.result;
  },
  async [Request.LESSON]({ name, options, runIds }) {
    session.startLesson(name, options ?? {});
    configuredRunId = null;
    const { last } = await startDriving({ runId: `lesson:${name}`, runIds });
    return { state: 'done', finding: last.finding, stopped: last.stopped };
  },
  [Request.EXERCISE]({ edition, length, options, runIds, done }) {
    session.startExercise(edition, length, options ?? {}, done ?? []);
    configuredRunId = null;
    return exerciseAnswer(startDriving({ runId: 'exercise', runIds }));
  },
  [Request.CONTINUE]() {
    if (!jobRunId || driving) throw new WorkerFailure('nothing paused to continue', 'config', false);
    Object.assign(control, { pause: false, stop: false });
    return exerciseAnswer(drive());
  },
  [Request.EXERCISE_PLAN]({ edition, length, options, trainRecords }) {
    return exercisePlan(edition, length, options ?? {}, trainRecords);
  },
  [Request.PAUSE]() {
    control.pause = driving;
    return { paused: driving };
  },
  async [Request.STOP]() {
    if (sampling) {
      control.stop = true;
      return { stopped: true };
    }
    if (!jobRunId) return { stopped: false };
    control.stop = true;
    // A paused job winds up here; a driven one sees the flag between two steps.
    if (!driving) await drive();
    return { stopped: true };
  },
  [Request.EVALUATE]({ split }) {
    return session.evaluate(split);
  },
  async [Request.MC_DROPOUT]({ runId, split, samples }) {
    // Progress in forward passes over the split: the plain one, then N per count.
    const total = 1 + samples.reduce((a, n) => a + n, 0);
    const progress = (fields) => post(Message.EVENT, { runId, job: 'mc', event: { kind: 'counted', total, ...fields } });
    progress({ done: 0, next: 1, evaluation: null });
    const plain = await session.evaluate(split);
    let done = 1;
    const mc = [];
    control.stop = false;
    sampling = true;
    try {
      for (const n of samples) {
        progress({ done, next: n, evaluation: mc.at(-1) ?? plain });
        // On the CPU backend each count computes without yielding: let a STOP message in.
        await yieldToEvents();
        if (control.stop) break;
        const before = done;
        mc.push(await session.evaluateMc(split, n, (passes) => progress({ done: before + passes, next: n, evaluation: null })));
        done += n;
      }
    } finally {
      sampling = false;
      control.stop = false;
    }
    return { split, plain, mc, stopped: mc.length < samples.length };
  },
  async [Request.EXPORT_WEIGHTS]() {
    const bytes = (await session.exportWeights()).buffer;
    return { value: { bytes }, transfer: [bytes] };
  },
  [Request.IMPORT_WEIGHTS]({ bytes }) {
    session.importWeights(new Uint8Array(bytes));
    return {};
  },
  [Request.LESSONS]({ options }) {
    return lessons(options ?? {});
  },
  [Request.CHECK_SETTINGS]({ variant, run }) {
    try {
      checkSettings(variant, run);
      return { problem: null };
    } catch (error) {
      return { problem: String(error?.message ?? error) };
    }
  },
  [Request.HISTORY_CSV]({ epochs, probes }) {
    return { epochs: epochsCsv(epochs), probes: probesCsv(probes) };
  },
  [Request.READ_RUN_FILE]({ bytes, fileName }) {
    try {
      const data = new Uint8Array(bytes);
      // The crate reads the numbers from JSON.parse's object: exact to the last bit.
      let parsed;
      try {
        parsed = JSON.parse(new TextDecoder().decode(data));
      } catch {
        parsed = undefined;
      }
      const { run, weights } = readRunFile(data, parsed, fileName);
      return { value: { run, weights: weights?.buffer ?? null }, transfer: weights ? [weights.buffer] : [] };
    } catch (error) {
      return { problem: String(error?.message ?? error) };
    }
  },
  async [Request.PREVIEW](message) {
    // Only the latest counts: a newer one waiting in the queue supersedes this one.
    if (queue.some((m) => m.type === Request.PREVIEW)) return { superseded: true };
    holdPreview(message);
    await flushPreview();
    return NO_ANSWER;
  },
};

/** A handler's result when it has answered its request itself. */
const NO_ANSWER = Symbol('answered');

/** Requests that act at once, between two steps of the job being driven. */
const immediate = new Set([Request.PAUSE, Request.STOP, Request.SHARD]);
/** Requests answered by plain functions of their fields: at once, whatever is queued or driven. */
const stateless = new Set([Request.CHECK_SETTINGS, Request.HISTORY_CSV, Request.READ_RUN_FILE]);

async function handle(message) {
  if (!immediate.has(message.type) && !stateless.has(message.type)) current = message;
  try {
    if (!session && message.type !== Request.INIT) throw new WorkerFailure('the worker is not initialized yet', 'config', false);
    const result = await handlers[message.type](message);
    if (result === NO_ANSWER) return;
    const { value, transfer } = result && 'transfer' in result ? result : { value: result, transfer: [] };
    post(Message.ANSWER, { id: message.id, value }, transfer);
  } catch (error) {
    post(Message.ERROR, { id: message.id, runId: driving || message.type === Request.TRAIN ? jobRunId ?? configuredRunId : null, ...describe(error) });
  }
}

async function drain() {
  if (handling) return;
  handling = true;
  while (queue.length || pendingPreview) {
    // A preview held while a job was driven is computed once the job has paused or ended.
    if (pendingPreview) await flushPreview();
    else await handle(queue.shift());
  }
  handling = false;
}

// A trap inside a wasm task (a Rust future polled from the microtask queue, e.g. out of memory
// mid-step) does not reject the request's promise, which then never settles: it surfaces here.
self.addEventListener('error', (event) => {
  event.preventDefault();
  const error = event.error ?? new WebAssembly.RuntimeError(event.message);
  const runId = jobRunId ?? configuredRunId;
  // A device being lost can trap the engine before its `lost` promise settles: give it a moment,
  // so the message names the cause.
  setTimeout(() => post(Message.ERROR, { id: current?.id ?? null, runId, ...describe(error), fatal: true }), gpu.backend === 'webgpu' ? 200 : 0);
});
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  post(Message.ERROR, { id: current?.id ?? null, runId: jobRunId ?? configuredRunId, ...describe(event.reason) });
});
gpu.onLost = () => {
  // Between requests nothing notices: say it now, so the page can offer to continue elsewhere.
  if (!driving) post(Message.ERROR, { id: null, runId: jobRunId, ...describe(null) });
};

self.onmessage = ({ data }) => {
  if (!(data?.type in handlers)) {
    post(Message.ERROR, { id: data?.id ?? null, kind: 'config', fatal: false, message: `unknown request '${data?.type}'` });
    return;
  }
  // Before INIT has loaded the module, they wait in the queue behind it.
  if (stateless.has(data.type) && session) {
    handle(data);
    return;
  }
  // While a job is driven, a preview waits for the next step (the latest one only).
  if (driving && data.type === Request.PREVIEW) {
    holdPreview(data);
    return;
  }
  // While a job is driven (or MC Dropout samples), control requests act at once; shards wait
  // for the next step.
  if ((driving || sampling) && immediate.has(data.type)) {
    if (data.type === Request.SHARD) {
      pendingShards.push(data);
      post(Message.ANSWER, { id: data.id, value: null });
    } else {
      handle(data);
    }
    return;
  }
  queue.push(data);
  drain();
};
