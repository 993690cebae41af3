// The page's state: one plain object the views read (`createX(container, app) → update(state)`)
// and only the app's modules write.
import { datasetName } from '../io/data-loader.js';

const BACKENDS = ['auto', 'webgpu', 'cpu'];

export function createState(params) {
  const requested = BACKENDS.includes(params.get('backend')) ? params.get('backend') : 'auto';
  return {
    backend: { requested, active: null, adapter: null, reason: '', status: 'starting' },
    variants: [],
    // Each select's options and their labels, from the wasm module (crate/src/choices.rs).
    choices: null,
    /** The run lengths offered on this backend, `{quick, full, first_visit_quick}` (crate/src/run_length.rs). */
    lengths: null,
    data: freshDataState(),
    phase: 'starting',
    activeRunId: null,
    loadedRunId: null,
    viewRunId: null,
    runs: [],
    // The runs chosen in the runs table: overlaid on the curves, and compared (2–4) on shared axes.
    overlays: new Set(),
    // What the comparison shows: the epoch of its per-layer statistics (null: each run's end).
    comparison: { epoch: null, statistic: 'act_std' },
    lrFinder: null,
    lrFinderProgress: null,
    // The training speed of the last timed sweep (LR finder or speed test), for time estimates.
    speed: null,
    mc: null,
    // MC Dropout under way: {runId, split, samples, done, total, next, evaluations, startedAt}.
    mcProgress: null,
    errors: [],
    // The chapter's lessons: the catalog (from the worker), the last finding of each (from
    // IndexedDB), and the lesson being run, if any.
    lessons: { catalog: [], options: null, records: {}, active: null, failure: null },
    persistent: false,
    // The dataset being made in the page from the official archive the user picked, if any.
    conversion: null,
    interruptedOnLoad: 0,
    // The signal-propagation preview of the form's settings: the latest answer and the one before.
    preview: { current: null, previous: null, pending: false, error: null, requested: null, updates: 0 },
  };
}

export function freshDataState() {
  let name = 'cifar10';
  let error = null;
  try {
    name = datasetName();
  } catch (e) {
    error = { message: e.message, hint: null, file: null };
  }
  return { name, status: error ? 'error' : 'loading', manifest: null, files: [], worker: null, error, notices: [], consent: null, startedAt: performance.now(), seconds: null };
}
