// The page: owns the state, talks to the worker (worker-client.js), feeds it the dataset
// (data-loader.js), persists runs (store.js), and re-renders the views at most once per frame.
import { ToWorker, FromWorker } from './protocol.js';
import { createWorkerClient, WorkerError } from './worker-client.js';
import { loadDataset, datasetName, DatasetError } from './data-loader.js';
import { RunStore, newRun } from './store.js';
import { exportRunFile, parseRunFile } from './run-file.js';
import { runLesson, LessonStopped } from './lessons.js';
import { createBackendBanner } from './views/backend-banner.js';
import { createDatasetPanel } from './views/dataset-panel.js';
import { createControls } from './views/controls.js';
import { createLrFinder } from './views/lr-finder.js';
import { createCurves } from './views/curves.js';
import { createLayerStats } from './views/layer-stats.js';
import { createProgress } from './views/progress.js';
import { createResults } from './views/results.js';
import { createRunsTable } from './views/runs-table.js';
import { createErrors } from './views/errors.js';
import { createLessons } from './views/lessons.js';
import { createStorage } from './views/storage.js';

const BACKENDS = ['auto', 'webgpu', 'cpu'];
const params = new URLSearchParams(location.search);

const state = {
  backend: { requested: BACKENDS.includes(params.get('backend')) ? params.get('backend') : 'auto', active: null, adapter: null, reason: '', status: 'starting' },
  variants: [],
  data: freshDataState(),
  phase: 'starting',
  activeRunId: null,
  loadedRunId: null,
  viewRunId: null,
  runs: [],
  overlays: new Set(),
  lrFinder: null,
  mc: null,
  errors: [],
  // The chapter's lessons: the catalog (from the worker), the last finding of each (from
  // IndexedDB), and the lesson being run, if any.
  lessons: { catalog: [], options: null, records: {}, active: null, failure: null },
  persistent: false,
  interruptedOnLoad: 0,
};

function freshDataState() {
  let name = 'cifar10';
  let error = null;
  try {
    name = datasetName();
  } catch (e) {
    error = { message: e.message, hint: null, file: null };
  }
  return { name, status: error ? 'error' : 'loading', manifest: null, files: [], worker: null, error, notices: [], startedAt: performance.now(), seconds: null };
}

// ---- rendering -------------------------------------------------------------------------------

const views = [];
let frame = 0;
function invalidate() {
  if (!frame) frame = requestAnimationFrame(render);
}
function render() {
  frame = 0;
  for (const update of views) {
    try {
      update(state);
    } catch (error) {
      console.error(error);
    }
  }
}

const runById = (id) => state.runs.find((r) => r.id === id) ?? null;

function setPhase(phase) {
  state.phase = phase;
  invalidate();
}

/** The phase between requests: idle, or 'lesson' while a lesson runs (its runs come one by one). */
const restPhase = () => (state.lessons.active ? 'lesson' : 'idle');

let errorCount = 0;
function showError(message, { hint = null, fatal = false, during = null, kind = 'error' } = {}) {
  state.errors.push({ id: ++errorCount, message, hint, fatal, during, kind, time: Date.now() });
  if (state.errors.length > 20) state.errors.shift();
  invalidate();
}

function dismissError(id) {
  state.errors = state.errors.filter((e) => e.id !== id);
  invalidate();
}

// ---- persistence -----------------------------------------------------------------------------

let store = null;
const memoryWeights = new Map();

async function openStore() {
  store = await RunStore.open();
  state.persistent = Boolean(store);
  if (!store) {
    showError('This browser refused IndexedDB (private mode?), so runs are kept only until the page is closed.', { kind: 'notice' });
    return;
  }
  store.onError = (error) => showError(`A run could not be saved in the browser (${error?.message ?? error}). Export it to a file to keep it.`, { kind: 'notice' });
  store.onQuota = (full, run) => showError(full
    ? `The browser's storage for this page is full, so ${run ? `the latest history of ${run.name}` : 'the latest weights'} could not be saved: it is kept in memory${run?.status === 'running' ? ' while the run goes on training' : ''} and saved as soon as there is room. Free space under Storage: drop the weights of lesson runs, or delete old runs (export them first to keep a copy).`
    : 'The browser has room again: every run is saved.', { kind: 'notice' });
  state.interruptedOnLoad = await store.markInterrupted(await runsAliveElsewhere());
  state.runs = await store.list();
  try {
    for (const record of await store.listLessons()) state.lessons.records[record.name] = record;
  } catch (error) {
    showError(`The lessons' findings could not be read from the browser (${error?.message ?? error}).`, { kind: 'notice' });
  }
  const latest = state.runs.at(-1);
  if (latest) state.viewRunId = latest.id;
  await ensureHistory(latest);
  invalidate();
}

/** Reads a stored run's steps and probes (start-up lists summaries and epochs only). */
async function ensureHistory(run) {
  if (!run || run.historyLoaded !== false || !store) return;
  try {
    await store.loadHistory(run);
  } catch (error) {
    showError(`The history of ${run.name} could not be read from the browser (${error?.message ?? error}).`);
  }
  invalidate();
}

// A tab holds a Web Lock named after each run it is training, so that a page opened meanwhile
// (another tab) does not mistake that run for one a reload cut off.
const LOCK_PREFIX = 'selfnorm-run:';
const runLocks = new Map();

function holdRunLock(id) {
  if (!navigator.locks || runLocks.has(id)) return;
  navigator.locks.request(LOCK_PREFIX + id, () => new Promise((release) => runLocks.set(id, release))).catch(() => {});
}

function releaseRunLock(id) {
  runLocks.get(id)?.();
  runLocks.delete(id);
}

async function runsAliveElsewhere() {
  if (!navigator.locks?.query) return new Set();
  try {
    const { held = [] } = await navigator.locks.query();
    return new Set(held.map((l) => l.name).filter((n) => n?.startsWith(LOCK_PREFIX)).map((n) => n.slice(LOCK_PREFIX.length)));
  } catch {
    return new Set();
  }
}

function saveSoon(run) {
  store?.schedule(run);
}
function saveNow(run) {
  return store?.save(run);
}

async function putWeights(run, bytes) {
  // A lesson trains several runs: theirs stay in memory only, unless the user asked to keep them.
  if (store && !(run.lesson && !store.keepLessonWeights)) {
    try {
      await store.putWeights(run.id, bytes);
    } catch (error) {
      memoryWeights.set(run.id, bytes);
      showError(`The weights of ${run.name} could not be saved in the browser (${error.message}); they are kept until the page closes. Export the run to keep them.`, { kind: 'notice' });
    }
  } else {
    memoryWeights.set(run.id, bytes);
  }
  run.hasWeights = true;
  await saveNow(run);
  invalidate();
}

async function getWeights(run) {
  if (memoryWeights.has(run.id)) return memoryWeights.get(run.id).slice(0);
  return store ? store.getWeights(run.id) : null;
}

// A run's end (finished, diverged or failed) as a promise, for lessons that train runs in turn.
const runWaiters = new Map();

function runEnded(id) {
  return new Promise((resolve, reject) => runWaiters.set(id, { resolve, reject }));
}

function settleRun(id, error = null) {
  const waiter = runWaiters.get(id);
  if (!waiter) return;
  runWaiters.delete(id);
  if (error) waiter.reject(error);
  else waiter.resolve(runById(id));
}

// ---- the worker ------------------------------------------------------------------------------

const client = createWorkerClient({ onMessage });

function startWorker(backend) {
  state.backend = { requested: backend, active: null, adapter: null, reason: '', status: 'starting' };
  state.loadedRunId = null;
  setPhase('starting');
  client.start(backend).catch(() => {
    // The ERROR message has been shown; the banner offers another backend.
  });
  startDataset();
}

/** Switches backend: a new worker, the dataset fed again (from the cache), runs kept. */
function restartWorker(backend) {
  const active = runById(state.activeRunId);
  if (active && (active.status === 'running' || active.status === 'paused')) {
    active.status = 'interrupted';
    active.error = `Interrupted when the training worker was restarted (${backend} backend).`;
    saveNow(active);
    releaseRunLock(active.id);
    settleRun(active.id, new WorkerError(active.error));
  }
  state.activeRunId = null;
  const url = new URL(location.href);
  if (backend === 'auto') url.searchParams.delete('backend');
  else url.searchParams.set('backend', backend);
  history.replaceState(null, '', url);
  startWorker(backend);
}

function onMessage(msg) {
  switch (msg.type) {
    case FromWorker.READY:
      state.backend = { requested: state.backend.requested, active: msg.backend, adapter: msg.adapter, reason: msg.reason, status: 'ready' };
      state.variants = msg.variants ?? [];
      setPhase('idle');
      flushDataFeed();
      loadLessonCatalog();
      break;
    case FromWorker.DATA_STATUS:
      state.data.worker = msg.status;
      break;
    case FromWorker.PROGRESS: {
      const run = runById(msg.runId);
      if (!run) break;
      const p = msg.progress;
      run.progress = p;
      run.history.steps.push({ step: p.step, epoch: p.epoch, loss: p.loss });
      saveSoon(run);
      break;
    }
    case FromWorker.PROBE: {
      const run = runById(msg.runId);
      if (!run) break;
      const last = run.history.probes.at(-1);
      if (!last || last.step !== msg.probe.step) run.history.probes.push(msg.probe);
      else run.history.probes[run.history.probes.length - 1] = msg.probe;
      saveSoon(run);
      break;
    }
    case FromWorker.EPOCH: {
      const run = runById(msg.runId);
      if (!run) break;
      const { record, best_epoch, best_val_loss, patience_left, finished } = msg.summary;
      run.history.epochs.push(record);
      run.history.best_epoch = best_epoch;
      run.summary = { best_epoch, best_val_loss, patience_left, finished };
      saveNow(run);
      break;
    }
    case FromWorker.PAUSED: {
      const run = runById(msg.runId);
      if (run) {
        run.status = 'paused';
        run.pausedBy = msg.reason;
        saveNow(run);
      }
      // A stop sent while the pause was on its way still ends the run.
      if (state.phase !== 'stopping') setPhase('paused');
      break;
    }
    case FromWorker.FINISHED:
      onFinished(msg);
      break;
    case FromWorker.ERROR:
      onWorkerError(msg);
      break;
    default:
      break;
  }
  invalidate();
}

async function onFinished(msg) {
  const run = runById(msg.runId);
  state.activeRunId = null;
  releaseRunLock(msg.runId);
  if (!run) {
    setPhase(restPhase());
    return;
  }
  run.history = msg.history;
  run.status = 'finished';
  run.results = { ...run.results, valid: msg.valid, test: msg.test };
  run.timings.finished = Date.now();
  run.timings.finishSeconds = msg.seconds;
  state.loadedRunId = run.id;
  state.mc = null;
  // Asked at once, so that no other request (a new run's CONFIGURE) can come between.
  setPhase('saving-weights');
  const weights = client.request(ToWorker.EXPORT_WEIGHTS);
  weights.catch(() => {}); // handled below, after the save
  await saveNow(run);
  try {
    await putWeights(run, (await weights).bytes);
  } catch (error) {
    if (!(error instanceof WorkerError)) showError(`The best weights of ${run.name} could not be saved: ${error.message}`);
  } finally {
    if (state.phase === 'saving-weights') setPhase(restPhase());
    settleRun(run.id);
  }
}

function onWorkerError(msg) {
  const fatal = Boolean(msg.fatal);
  const trainingError = msg.during === ToWorker.TRAIN || msg.during === ToWorker.STOP || msg.during === ToWorker.STEP_EPOCH;
  const run = trainingError || fatal ? runById(msg.runId ?? state.activeRunId) : null;
  if (run && (run.status === 'running' || run.status === 'paused' || trainingError)) {
    if (msg.history) run.history = msg.history;
    const diverged = run.history?.stop?.kind === 'diverged' || /diverged|non-finite|NaN/i.test(msg.message);
    run.status = diverged && !fatal ? 'diverged' : 'failed';
    run.error = msg.message;
    run.timings.finished = Date.now();
    saveNow(run);
    releaseRunLock(run.id);
    if (state.activeRunId === run.id) state.activeRunId = null;
    settleRun(run.id, fatal ? new WorkerError(msg.message, msg) : null);
  }
  if (msg.during === ToWorker.SHARD || msg.during === ToWorker.DATASET) {
    state.data.status = 'error';
    state.data.error = { message: `The training worker rejected the dataset: ${msg.message}`, hint: null, file: null };
    dataAbort?.abort();
  }
  if (fatal) {
    state.backend.status = 'crashed';
    state.loadedRunId = null;
    setPhase('failed');
  } else if (msg.during === ToWorker.INIT) {
    state.backend.status = 'failed';
    setPhase('failed');
  } else if (trainingError) {
    setPhase(restPhase());
  }
  // Errors of other requests reject their promise; the action that awaited it resets the phase.
  const title = run ? `${run.name}: ` : '';
  // A run of a lesson that diverged is part of the lesson's answer (the momentum lesson), not a fault.
  const expected = run?.lesson && run.status === 'diverged';
  showError(`${title}${msg.message}`, { fatal: fatal || msg.during === ToWorker.INIT, during: msg.during, kind: expected ? 'notice' : 'error' });
}

// ---- dataset feed ----------------------------------------------------------------------------

let dataGeneration = 0;
let dataAbort = null;
let dataFeed = [];

function deliver(type, fields, transfer) {
  if (state.backend.status === 'ready') client.send(type, fields, transfer);
  else dataFeed.push([type, fields, transfer]);
}

function flushDataFeed() {
  const feed = dataFeed;
  dataFeed = [];
  for (const [type, fields, transfer] of feed) client.send(type, fields, transfer);
}

function startDataset() {
  dataAbort?.abort();
  dataFeed = [];
  const generation = ++dataGeneration;
  const controller = new AbortController();
  dataAbort = controller;
  state.data = freshDataState();
  if (state.data.error) {
    showError(state.data.error.message, { during: 'dataset' });
    return;
  }
  const mine = () => generation === dataGeneration;
  let manifestText = null;
  loadDataset(state.data.name, {
    signal: controller.signal,
    onManifest({ manifest, text, files }) {
      if (!mine()) return;
      manifestText = text;
      state.data.manifest = manifest;
      state.data.files = files.map((f) => ({ ...f, loaded: 0, source: null, status: 'waiting' }));
      invalidate();
    },
    onProgress(file, loaded) {
      if (!mine()) return;
      const entry = state.data.files.find((f) => f.file === file.file);
      if (entry) {
        entry.loaded = loaded;
        entry.status = 'loading';
      }
      invalidate();
    },
    onFile(file, { source, buffer, seconds }) {
      if (!mine()) return;
      const entry = state.data.files.find((f) => f.file === file.file);
      Object.assign(entry, { loaded: file.bytes, source, status: 'verified', seconds });
      if (file.kind === 'stats') deliver(ToWorker.DATASET, { manifest: manifestText, stats: buffer }, [buffer]);
      else deliver(ToWorker.SHARD, { split: file.split, index: file.index, bytes: buffer }, [buffer]);
      invalidate();
    },
    onNotice(text) {
      if (!mine()) return;
      state.data.notices.push(text);
      invalidate();
    },
  }).then(() => {
    if (!mine()) return;
    state.data.status = 'complete';
    state.data.seconds = (performance.now() - state.data.startedAt) / 1000;
    invalidate();
  }, (error) => {
    if (!mine() || error.name === 'AbortError') return;
    state.data.status = 'error';
    const entry = state.data.files.find((f) => f.file === error.file);
    if (entry) entry.status = 'failed';
    state.data.error = error instanceof DatasetError
      ? { message: error.message, hint: error.hint, file: error.file }
      : { message: `Loading the dataset failed: ${error.message}`, hint: null, file: null };
    showError(state.data.error.message, { hint: state.data.error.hint, during: 'dataset' });
  });
}

// ---- actions ---------------------------------------------------------------------------------

function makeId() {
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

function runName(variant, modified) {
  const base = modified.length ? `${variant}*` : variant;
  const n = state.runs.filter((r) => r.variant === variant && !r.imported).length + 1;
  return `${base} #${n}`;
}

async function configure(runId, config) {
  const answer = await client.request(ToWorker.CONFIGURE, { runId, run: config });
  state.loadedRunId = null;
  state.mc = null;
  return answer.info;
}

/**
 * Configures a new run and starts training it; resolves with the run record once training has
 * started (its end: `runEnded(id)`), rejects when the configuration is refused.
 */
async function beginRun({ config, variant, modified, name = null, lesson = null }, { stepOnly = false } = {}) {
  const id = makeId();
  setPhase('configuring');
  let info;
  try {
    info = await configure(id, config);
  } catch (error) {
    if (state.phase === 'configuring') setPhase(restPhase());
    throw error;
  }
  const lrFinder = state.lrFinder && state.lrFinder.configKey === configKey(config) ? state.lrFinder : null;
  const run = newRun({
    id,
    name: name ?? runName(variant, modified),
    variant,
    modified,
    config: { ...config, model: info.model },
    dataset: state.data.name,
    backend: state.backend.active,
    lrFinder,
  });
  run.info = { parameters: info.parameters, steps_per_epoch: info.steps_per_epoch };
  if (lesson) run.lesson = lesson;
  state.runs.push(run);
  state.activeRunId = id;
  state.viewRunId = id;
  holdRunLock(id);
  saveNow(run);
  setPhase('training');
  client.send(stepOnly ? ToWorker.STEP_EPOCH : ToWorker.TRAIN);
  return run;
}

/** The LR finder on `config` (weights restored after); its result also goes to the LR finder panel. */
async function sweepLr(config, sweep) {
  setPhase('lr-finding');
  try {
    await configure('lr-finder', config);
    const answer = await client.request(ToWorker.FIND_LR, { sweep });
    state.lrFinder = { ...answer.result, seconds: answer.seconds, sweep, configKey: configKey(config), lrBefore: config.train.lr };
    return answer.result;
  } finally {
    if (state.phase === 'lr-finding') setPhase(restPhase());
  }
}

// ---- lessons ---------------------------------------------------------------------------------

/** The lessons' questions, captions and runs for the panel, at `options` (the panel's). */
async function loadLessonCatalog(options = state.lessons.options ?? {}) {
  try {
    state.lessons.catalog = (await client.request(ToWorker.LESSONS, { options })).lessons;
    invalidate();
  } catch (error) {
    if (!(error instanceof WorkerError)) showError(`The lessons could not be listed: ${error.message}`);
  }
}

/** A lesson run's name: the lesson, the run's label, and a number when the lesson ran before. */
function lessonRunName(lesson, label) {
  const n = state.runs.filter((r) => r.lesson?.name === lesson && r.lesson.label === label && !r.imported).length + 1;
  return `${lesson} · ${label}${n > 1 ? ` #${n}` : ''}`;
}

/** Fits the catalog's model to the loaded dataset's shape (the synthetic data may be smaller). */
function fitToData(config) {
  const manifest = state.data.manifest;
  if (!manifest) return config;
  return {
    ...config,
    model: { ...config.model, input_dim: manifest.image_shape.reduce((a, b) => a * b, 1), classes: manifest.classes.length },
  };
}

const app = {
  state,

  /** A new run from the form's `config`; `stepOnly` trains one epoch and pauses. */
  async train(spec, { stepOnly = false } = {}) {
    if (state.phase !== 'idle') return;
    try {
      await beginRun(spec, { stepOnly });
    } catch (error) {
      if (!(error instanceof WorkerError)) showError(error.message);
    }
  },

  /**
   * Runs lesson `name` with `options` (`{epochs, max_train_records, depth, width, l1, …}`): its
   * runs one after the other, then its measurements and finding, kept as the lesson's last finding.
   */
  async runLesson(name, options) {
    if (state.phase !== 'idle' || state.lessons.active) return;
    const active = { name, options, step: 'Preparing the runs', index: 0, total: 0, labels: [], runIds: [], startedAt: Date.now() };
    state.lessons.active = active;
    state.lessons.failure = null;
    setPhase('lesson');
    const step = (text) => {
      if (active.stopRequested) throw new LessonStopped(`The lesson was stopped before "${text}"; the runs it trained stay in the runs table.`);
      active.step = text;
      invalidate();
    };
    try {
      const { lessons } = await client.request(ToWorker.LESSONS, { options });
      const lesson = lessons.find((l) => l.name === name);
      if (!lesson) throw new Error(`the worker knows no lesson named "${name}"`);
      active.total = lesson.runs.length;
      active.labels = lesson.runs.map((r) => r.label);
      const { finding, runs } = await runLesson(lesson, {
        request: (type, fields) => client.request(type, fields),
        findLr: (config, sweep) => sweepLr(fitToData(config), sweep),
        async train(spec, index, config) {
          active.index = index;
          const run = await beginRun({
            config: fitToData(config),
            variant: `lesson ${name}`,
            modified: [],
            name: lessonRunName(name, spec.label),
            lesson: { name, label: spec.label, startedAt: active.startedAt },
          });
          active.runIds[index] = run.id;
          if (active.stopRequested) app.stop();
          const ended = await runEnded(run.id);
          if (ended.status === 'failed') throw new Error(`its run "${spec.label}" failed: ${ended.error}`);
          return ended;
        },
        step,
      });
      for (const run of runs) saveNow(run);
      const record = {
        name,
        question: lesson.question,
        caption: lesson.caption,
        options,
        finding,
        runs: runs.map((run) => ({
          label: run.lesson.label,
          runId: run.id,
          status: run.status,
          error: run.error,
          parameters: run.info?.parameters ?? null,
          model: run.config.model,
          lr: run.config.train.lr,
          history: { steps: run.history.steps, epochs: run.history.epochs, best_epoch: run.history.best_epoch },
        })),
        backend: state.backend.active,
        software: Boolean(state.backend.adapter?.software),
        dataset: state.data.name,
        classes: state.data.manifest?.classes.length ?? null,
        trainRecords: state.data.worker?.loaded?.[0] ?? null,
        started: active.startedAt,
        finished: Date.now(),
      };
      state.lessons.records[name] = record;
      try {
        await store?.putLesson(record);
      } catch (error) {
        showError(`The finding of the ${name} lesson could not be saved in the browser (${error.message}); it stays until the page closes.`, { kind: 'notice' });
      }
    } catch (error) {
      const stopped = error instanceof LessonStopped;
      state.lessons.failure = { name, message: stopped ? error.message : `The ${name} lesson did not finish: ${error.message}`, stopped };
      // Worker errors are shown as they arrive; a stop is the user's own doing.
      if (!stopped && !(error instanceof WorkerError)) showError(state.lessons.failure.message);
    } finally {
      state.lessons.active = null;
      if (state.phase === 'lesson') setPhase('idle');
      invalidate();
    }
  },

  /** Lists the lessons again with the panel's `options` (run labels and settings follow them). */
  listLessons(options) {
    state.lessons.options = options;
    if (state.backend.status === 'ready') loadLessonCatalog(options);
  },

  /** Ends the lesson being run: its current run stops (and is kept) and the lesson ends there. */
  stopLesson() {
    if (!state.lessons.active) return;
    if (['training', 'pausing', 'paused'].includes(state.phase)) app.stop();
    else state.lessons.active.stopRequested = true;
    invalidate();
  },

  resume({ stepOnly = false } = {}) {
    const run = runById(state.activeRunId);
    if (!run || state.phase !== 'paused') return;
    run.status = 'running';
    state.viewRunId = run.id;
    saveNow(run);
    setPhase('training');
    client.send(stepOnly ? ToWorker.STEP_EPOCH : ToWorker.TRAIN);
  },

  pause() {
    if (state.phase !== 'training') return;
    client.send(ToWorker.PAUSE);
    setPhase('pausing');
  },

  stop() {
    if (!['training', 'pausing', 'paused'].includes(state.phase)) return;
    client.send(ToWorker.STOP);
    setPhase('stopping');
  },

  async findLr(config, sweep) {
    if (state.phase !== 'idle') return;
    try {
      await sweepLr(config, sweep);
    } catch (error) {
      if (!(error instanceof WorkerError)) showError(`The LR finder failed: ${error.message}`);
    }
  },

  /** Loads a stored run's weights into a freshly configured model (for MC Dropout / evaluation). */
  async loadWeights(runId) {
    const run = runById(runId);
    if (!run || state.phase !== 'idle') return;
    setPhase('loading-weights');
    try {
      const bytes = await getWeights(run);
      if (!bytes) throw new Error(`${run.name} has no stored weights.`);
      await configure(run.id, run.config);
      await client.request(ToWorker.IMPORT_WEIGHTS, { bytes }, [bytes]);
      state.loadedRunId = run.id;
      state.viewRunId = run.id;
      const status = state.data.worker;
      const valid = await client.request(ToWorker.EVALUATE, { split: 'valid' });
      const testReady = status && status.expected[2] > 0 && status.loaded[2] === status.expected[2];
      const test = testReady ? await client.request(ToWorker.EVALUATE, { split: 'test' }) : null;
      run.results = { ...run.results, validHere: valid.result, testHere: test?.result ?? null, evaluatedOn: state.data.name };
      saveNow(run);
    } catch (error) {
      if (!(error instanceof WorkerError)) showError(`Loading the weights of ${run.name} failed: ${error.message}`);
    } finally {
      if (state.phase === 'loading-weights') setPhase('idle');
    }
  },

  async mcDropout(samples, split) {
    const run = runById(state.loadedRunId);
    if (!run || state.phase !== 'idle') return;
    setPhase('mc');
    try {
      const answer = await client.request(ToWorker.MC_DROPOUT, { split, samples });
      const result = { runId: run.id, split: answer.split, plain: answer.plain, mc: answer.mc, samples, at: Date.now() };
      run.results = { ...run.results, mc: result };
      state.mc = result;
      saveNow(run);
    } catch (error) {
      if (!(error instanceof WorkerError)) showError(`MC Dropout failed: ${error.message}`);
    } finally {
      if (state.phase === 'mc') setPhase('idle');
    }
  },

  restartWorker(backend) {
    if (['configuring', 'lr-finding', 'training', 'pausing', 'stopping', 'saving-weights', 'loading-weights', 'mc', 'lesson'].includes(state.phase) || state.lessons.active) return;
    restartWorker(backend);
  },

  viewRun(id) {
    state.viewRunId = id;
    ensureHistory(runById(id));
    invalidate();
  },

  toggleOverlay(id, on) {
    if (on) state.overlays.add(id);
    else state.overlays.delete(id);
    invalidate();
  },

  async deleteRun(id) {
    if (id === state.activeRunId) return;
    state.runs = state.runs.filter((r) => r.id !== id);
    state.overlays.delete(id);
    memoryWeights.delete(id);
    if (state.viewRunId === id) state.viewRunId = state.runs.at(-1)?.id ?? null;
    if (state.loadedRunId === id) state.loadedRunId = null;
    invalidate();
    try {
      await store?.delete(id);
    } catch (error) {
      showError(`The run could not be deleted from the browser's storage: ${error.message}`);
    }
  },

  async exportRun(id) {
    const run = runById(id);
    if (!run) return;
    try {
      await ensureHistory(run);
      const weights = run.hasWeights ? await getWeights(run) : null;
      const blob = new Blob([exportRunFile(run, weights)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const link = Object.assign(document.createElement('a'), { href: url, download: `${run.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.selfnorm-run.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      showError(`Exporting ${run.name} failed: ${error.message}`);
    }
  },

  async importRuns(files) {
    for (const file of files) {
      try {
        const { run, weights } = parseRunFile(await file.text(), file.name, makeId());
        if (state.runs.some((r) => r.name === run.name)) run.name = `${run.name} (imported)`;
        state.runs.push(run);
        state.overlays.add(run.id);
        state.viewRunId = run.id;
        await saveNow(run);
        if (weights) await putWeights(run, weights);
      } catch (error) {
        showError(`Import failed: ${error.message}`);
      }
    }
    invalidate();
  },

  /** What is stored (see RunStore.usage), or null without storage. */
  storageUsage: () => store?.usage() ?? Promise.resolve(null),

  /** Drops the stored weights of runs `ids`; their history and results stay. */
  async dropWeights(ids) {
    try {
      await store?.deleteWeights(ids);
    } catch (error) {
      showError(`The weights could not be deleted from the browser's storage: ${error.message}`);
      return;
    }
    for (const id of ids) {
      memoryWeights.delete(id);
      const run = runById(id);
      if (run) run.hasWeights = false;
    }
    invalidate();
  },

  keepLessonWeights: () => Boolean(store?.keepLessonWeights),
  setKeepLessonWeights(keep) {
    if (store) store.keepLessonWeights = keep;
  },

  dismissError,
  invalidate,
};

/** The config without the learning rate: an LR finder result applies to runs that match it. */
function configKey(config) {
  return JSON.stringify({ ...config, train: { ...config.train, lr: null } });
}

// ---- test hook -------------------------------------------------------------------------------

function snapshot() {
  const current = runById(state.activeRunId) ?? runById(state.viewRunId);
  const summary = (run) => run && {
    id: run.id,
    name: run.name,
    variant: run.variant,
    status: run.status,
    imported: Boolean(run.imported),
    hasWeights: Boolean(run.hasWeights),
    epochs: run.history.epochs.length,
    probes: run.history.probes.length,
    steps: run.history.steps.length,
    bestEpoch: run.history.best_epoch,
    valAccuracy: run.results?.valid?.accuracy ?? null,
    testAccuracy: run.results?.test?.accuracy ?? null,
  };
  const files = state.data.files;
  const ws = state.data.worker;
  return structuredClone({
    backend: { ...state.backend },
    variants: state.variants.map((v) => v.name),
    data: {
      name: state.data.name,
      status: state.data.status,
      files: files.length,
      verified: files.filter((f) => f.status === 'verified').length,
      fromCache: files.filter((f) => f.source === 'cache').length,
      readyToTrain: Boolean(ws?.ready_to_train),
      loaded: ws?.loaded ?? null,
      expected: ws?.expected ?? null,
      error: state.data.error,
    },
    phase: state.phase,
    run: summary(current),
    activeRunId: state.activeRunId,
    viewRunId: state.viewRunId,
    loadedRunId: state.loadedRunId,
    epochs: current?.history.epochs.length ?? 0,
    probes: current?.history.probes.length ?? 0,
    lrFinder: state.lrFinder && { suggested_lr: state.lrFinder.suggested_lr, points: state.lrFinder.lrs.length, diverged: state.lrFinder.diverged, seconds: state.lrFinder.seconds },
    mc: state.mc,
    runs: state.runs.map(summary),
    errors: state.errors.map(({ message, hint, fatal, during, kind }) => ({ message, hint, fatal, during, kind })),
    interruptedOnLoad: state.interruptedOnLoad,
    lessons: {
      catalog: state.lessons.catalog.map((l) => l.name),
      active: state.lessons.active && { name: state.lessons.active.name, index: state.lessons.active.index, total: state.lessons.active.total, step: state.lessons.active.step },
      failure: state.lessons.failure,
      findings: Object.fromEntries(Object.entries(state.lessons.records).map(([name, r]) => [name, { finished: r.finished, runIds: r.runs.map((x) => x.runId), finding: r.finding }])),
    },
  });
}

window.selfnorm = Object.freeze({ get state() { return snapshot(); } });

// ---- start -----------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
views.push(
  createBackendBanner($('backend-banner'), app),
  createErrors($('error'), app),
  createDatasetPanel($('dataset-status'), app),
  createControls($('controls'), app),
  createLessons($('lessons'), app),
  createProgress($('progress'), app),
  createLrFinder($('lr-finder'), app),
  createCurves($('curves'), app),
  createLayerStats($('layer-stats'), app),
  createResults($('results'), app),
  createRunsTable($('runs-table'), app),
  createStorage($('storage'), app),
);

window.addEventListener('pagehide', () => store?.flush());
await openStore();
startWorker(state.backend.requested);
invalidate();
