// The training worker's life: starting it on a backend, switching backend, and what a fatal
// error (a crash, a lost GPU device) does to the page: the live run keeps its history, and the
// page offers to go on elsewhere.
import { BUSY } from './phase.js';

const SUGGEST_CONTINUE = new Set(['device-lost']);

export function createBackend(ctx, { runs, lessons, feed }) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;

  function start(backend) {
    state.backend = { requested: backend, active: null, adapter: null, reason: '', status: 'starting' };
    state.loadedRunId = null;
    phase.to('starting');
    client.start(backend).then((ready) => {
      state.backend = { requested: backend, active: ready.backend, trainsOn: ready.trainsOn, adapter: ready.adapter, reason: ready.reason, status: 'ready' };
      state.variants = ready.variants ?? [];
      state.choices = ready.choices ?? null;
      state.lengths = ready.lengths ?? null;
      phase.to('idle');
      feed.flush();
      lessons.loadCatalog();
    }, (error) => {
      if (error.kind === 'restarted') return;
      state.backend.status = 'failed';
      phase.to('failed');
    });
    feed.start();
  }

  /** A new worker on `backend`: the dataset is fed again (from the cache), runs are kept. */
  function restart(backend) {
    const active = runs.runById(state.activeRunId);
    if (active && (active.status === 'running' || active.status === 'paused')) {
      active.status = 'interrupted';
      active.error = `Interrupted when the training worker was restarted (${backend} backend).`;
      store.saveNow(active);
      store.releaseLock(active.id);
    }
    state.activeRunId = null;
    const url = new URL(location.href);
    if (backend === 'auto') url.searchParams.delete('backend');
    else url.searchParams.set('backend', backend);
    history.replaceState(null, '', url);
    start(backend);
  }

  /** Continues run `runId` from its stored (best) weights on `backend`, as a new run. */
  async function continueRun(runId, backend) {
    const run = runs.runById(runId);
    if (!run) return;
    restart(backend);
    await waitUntil(() => state.backend.status !== 'starting' && state.data.worker?.ready_to_train);
    if (state.backend.status !== 'ready') return;
    const weights = await store.getWeights(run);
    const spec = { config: run.config, variant: run.variant, modified: run.modified ?? [], name: `${run.name} (continued)` };
    await runs.begin(spec, { weights });
  }

  function waitUntil(condition) {
    return new Promise((resolve) => {
      const check = () => (condition() || state.backend.status === 'failed' ? resolve() : setTimeout(check, 100));
      check();
    });
  }

  /** Every worker error comes here once; the request that failed handles its own phase. */
  function onError(error) {
    const run = runs.runById(error.runId);
    if (error.fatal) {
      state.backend.status = 'crashed';
      state.loadedRunId = null;
      if (run) runs.failed(run.id, error);
      phase.to('failed');
    }
    if (error.kind === 'restarted') return;
    const actions = SUGGEST_CONTINUE.has(error.kind) && run && !run.lesson ? [
      { label: 'Continue on the CPU backend', testid: 'continue-cpu', run: () => continueRun(run.id, 'cpu') },
      { label: 'Continue on a new WebGPU device', testid: 'continue-webgpu', run: () => continueRun(run.id, 'webgpu') },
    ] : null;
    const title = run ? `${run.name}: ` : '';
    notices.show(`${title}${error.message}`, { fatal: error.fatal || error.request === 'init', during: error.request, actions });
    invalidate();
  }

  return {
    start,
    onError,
    /** Switches backend unless the worker is busy. */
    restart(backend) {
      if (BUSY.has(state.phase) || state.lessons.active) return;
      restart(backend);
    },
  };
}
