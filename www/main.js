// The page's wiring: the state, the worker client, the app's modules and the views. Where each
// concern lives: docs/ARCHITECTURE.md.
import { createWorkerClient } from './io/worker-client.js';
import { keptDatasets, forgetDataset } from './io/data-loader.js';
import { Request } from './io/protocol.js';
import { createState } from './app/state.js';
import { createPhase } from './app/phase.js';
import { createNotices } from './app/notices.js';
import { createRenderer } from './app/render.js';
import { createPersistence } from './app/persistence.js';
import { createDatasetFeed } from './app/dataset-feed.js';
import { createRuns } from './app/runs.js';
import { createLibrary } from './app/library.js';
import { createBackend } from './app/backend.js';
import { createArchive } from './app/archive.js';
import { createPreview as createPreviewRequests } from './app/preview.js';
import { createTrainStart } from './app/train-start.js';
import { installTestHook } from './app/test-hook.js';
import { createLessons as createLessonRunner } from './app/lessons.js';
import { createExercise as createExerciseRunner } from './app/exercise.js';
import { createBackendBanner } from './views/backend-banner.js';
import { createDatasetPanel } from './views/dataset-panel.js';
import { createControls } from './views/controls.js';
import { createActionBar } from './views/action-bar.js';
import { createLrFinder } from './views/lr-finder.js';
import { createCurves } from './views/curves.js';
import { createLayerStats } from './views/layer-stats.js';
import { createPreview } from './views/preview.js';
import { createUpdateRatio } from './views/update-ratio.js';
import { createHistograms } from './views/histograms.js';
import { createProgress } from './views/progress.js';
import { createResults } from './views/results.js';
import { createRunsTable } from './views/runs-table.js';
import { createCompare } from './views/compare.js';
import { createErrors } from './views/errors.js';
import { createLessons } from './views/lessons.js';
import { createExercise } from './views/exercise.js';
import { createStorage } from './views/storage.js';

const state = createState(new URLSearchParams(location.search));
const renderer = createRenderer(state);
const invalidate = () => renderer.invalidate();
const notices = createNotices(state, invalidate);
const phase = createPhase(state, invalidate);
const persistence = createPersistence({ state, notices, invalidate });

// The worker client's callbacks reach modules made after it.
const route = {};
const client = createWorkerClient({
  onEvent: (message) => route.event(message),
  onDataStatus: (status) => {
    state.data.worker = status;
    invalidate();
  },
  onError: (error) => route.error(error),
});

const ctx = { state, client, phase, notices, persistence, invalidate };
const runs = createRuns(ctx);
const lessons = createLessonRunner(ctx, runs);
const exercise = createExerciseRunner(ctx, runs);
const library = createLibrary(ctx);
const feed = createDatasetFeed(ctx, { onAbsent: () => archive.offer() });
const backend = createBackend(ctx, { runs, lessons, feed });
const archive = createArchive(ctx, feed);
const preview = createPreviewRequests(ctx);
const trainStart = createTrainStart(ctx, runs);

route.event = ({ runId, job, event }) => {
  if (job === 'sweep') runs.onSweepEvent(event);
  else if (job === 'mc') library.onMcEvent(runId, event);
  else if (job === 'lesson') lessons.onEvent(runId, event);
  else if (job === 'exercise') exercise.onEvent(runId, event);
  else runs.onTrainEvent(runId, event);
};
route.error = (error) => backend.onError(error);

/** What the views may ask for. */
const app = {
  state,
  train: (spec, options) => trainStart.request(spec, options),
  resume: (options) => runs.resume(options),
  pause: () => runs.pause(),
  stop: () => runs.stop(),
  findLr: (config, sweep) => phase.is('idle') && runs.findLr(config, sweep),
  measureSpeed: (config) => runs.measureSpeed(config),
  confirmDownload: () => feed.confirmDownload(),
  canConvert: () => archive.canConvert(),
  convertArchive: (files) => archive.convert(files),
  runLesson: (name, options) => lessons.run(name, options),
  listLessons: (options) => lessons.list(options),
  stopLesson: () => runs.stop(),
  runExercise: (settings) => exercise.run(settings),
  planExercise: (edition, length) => exercise.plan(edition, length),
  stopExercise: () => runs.stop(),
  pauseExercise: () => exercise.pause(),
  continueExercise: () => exercise.continue(),
  loadWeights: (id) => library.loadWeights(id),
  mcDropout: (samples, split) => library.mcDropout(samples, split),
  viewRun: (id) => library.viewRun(id),
  toggleOverlay: (id, on) => library.toggleOverlay(id, on),
  chooseComparison: (choice) => library.chooseComparison(choice),
  deleteRun: (id) => library.deleteRun(id),
  exportRun: (id) => library.exportRun(id),
  exportCsv: (id, table) => library.exportCsv(id, table),
  checkSettings: (variant, run) => client.request(Request.CHECK_SETTINGS, { variant, run }),
  notify: (message, options) => notices.show(message, options),
  importRuns: (files) => library.importRuns(files),
  storageUsage: () => persistence.usage(),
  keptDatasets: () => keptDatasets(),
  forgetDataset: (base) => forgetDataset(base),
  dropWeights: (ids) => library.dropWeights(ids),
  keepLessonWeights: () => persistence.keepLessonWeights,
  setKeepLessonWeights: (keep) => {
    persistence.keepLessonWeights = keep;
  },
  restartWorker: (name) => backend.restart(name),
  requestPreview: (config) => preview.request(config),
  dismissError: (id) => notices.dismiss(id),
  invalidate,
};

installTestHook(state);
const $ = (id) => document.getElementById(id);
renderer.add(
  createBackendBanner($('backend-banner'), app),
  createErrors($('error'), app),
  createDatasetPanel($('dataset-status'), app),
  createControls($('controls'), app),
  createActionBar($('action-bar'), app),
  createLessons($('lessons'), app),
  createExercise($('exercise'), app),
  createProgress($('progress'), app),
  createLrFinder($('lr-finder'), app),
  createCurves($('curves'), app),
  createPreview($('preview'), app),
  createLayerStats($('layer-stats'), app),
  createUpdateRatio($('update-ratio'), app),
  createHistograms($('histograms'), app),
  createResults($('results'), app),
  createRunsTable($('runs-table'), app),
  createCompare($('compare'), app),
  createStorage($('storage'), app),
  // Last: a run that waited starts with the form as the views above have just brought it up to date.
  trainStart.update,
);

window.addEventListener('pagehide', () => persistence.flush());
await persistence.open();
backend.start(state.backend.requested);
// A run file named by the link (`?run=URL`) is imported as a picked file would be.
const runAddress = new URLSearchParams(location.search).get('run');
if (runAddress) library.importFromUrl(runAddress);
invalidate();
