// The run being trained: its record, the requests that drive it (train, pause, resume, stop),
// the LR finder, and what happens when it ends or fails. The order of a run is the worker's
// (the Rust state machine's); this module only reacts to its events.
import { Request } from '../io/protocol.js';
import { newRun } from '../io/store.js';
import { SPEED_TEST_STEPS } from '../views/estimate.js';
import { applyTrainEvent, failRun } from './run-events.js';

export function makeId() {
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The config without the learning rate: an LR finder result applies to runs that match it. */
function configKey(config) {
  return JSON.stringify({ ...config, train: { ...config.train, lr: null } });
}

/** A job's run-started event (the crate's `RunStart`: what the run trains with) as `addRun`'s config and info. */
export function startedRun({ model, train, preprocessing, parameters, steps_per_epoch, step }) {
  return { config: { model, train, preprocessing }, info: { model, train, parameters, steps_per_epoch, step: step ?? null } };
}

export function createRuns(ctx) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;
  const runById = (id) => state.runs.find((r) => r.id === id) ?? null;
  /** WebGPU runs: the weights of the best epoch so far, in case the device is lost. */
  const bestWeights = new Map();

  function runName(variant, modified) {
    const base = modified.length ? `${variant}*` : variant;
    const n = state.runs.filter((r) => r.variant === variant && !r.imported).length + 1;
    return `${base} #${n}`;
  }

  /** Adds a run record for a run the worker has configured, and makes it the live, viewed run. */
  function addRun({ id, config, info, variant, modified = [], name = null, lesson = null }) {
    const lrFinder = state.lrFinder && state.lrFinder.configKey === configKey(config) ? state.lrFinder : null;
    const run = newRun({ id, name: name ?? runName(variant, modified), variant, modified, config: { ...config, model: info.model, train: info.train }, dataset: state.data.name, backend: state.backend.active, lrFinder });
    run.info = { parameters: info.parameters, steps_per_epoch: info.steps_per_epoch, step: info.step ?? null };
    if (lesson) run.lesson = lesson;
    state.runs.push(run);
    state.activeRunId = id;
    state.viewRunId = id;
    store.holdLock(id);
    store.saveNow(run);
    invalidate();
    return run;
  }

  function onTrainEvent(runId, event) {
    const run = runById(runId);
    if (!run) return;
    if (event.kind === 'best-weights') {
      bestWeights.set(runId, event.bytes);
      return;
    }
    const next = applyTrainEvent(run, event);
    if (next === 'save-soon') store.saveSoon(run);
    else if (next === 'save-now') store.saveNow(run);
    else if (next) ended(run);
    invalidate();
  }

  async function ended(run) {
    store.releaseLock(run.id);
    bestWeights.delete(run.id);
    if (state.activeRunId === run.id) state.activeRunId = null;
    if (run.status === 'diverged') {
      store.saveNow(run);
      // A diverging run of a lesson is part of its answer (the momentum lesson), not a fault.
      notices.show(`${run.name}: ${run.error}`, { kind: run.lesson ? 'notice' : 'error', during: 'train' });
      return;
    }
    state.loadedRunId = run.id;
    state.mc = null;
    await store.saveNow(run);
    // A lesson's runs get their weights from the lesson's own events, after its measurements.
    if (run.lesson) return;
    phase.to('saving-weights');
    try {
      const { bytes } = await client.request(Request.EXPORT_WEIGHTS);
      await store.putWeights(run, bytes);
    } catch (error) {
      if (error.kind !== 'restarted') notices.show(`The best weights of ${run.name} could not be saved: ${error.message}`);
    } finally {
      if (phase.is('saving-weights')) phase.to('idle');
    }
  }

  /** The run's training failed for another reason than a divergence: keep what it had. */
  async function failed(runId, error) {
    const run = runById(runId);
    if (!run || !['running', 'paused'].includes(run.status)) return;
    const lost = error.kind === 'device-lost';
    failRun(run, error.message, lost ? 'interrupted' : 'failed');
    store.releaseLock(run.id);
    if (state.activeRunId === run.id) state.activeRunId = null;
    const weights = bestWeights.get(run.id);
    bestWeights.delete(run.id);
    if (weights && !run.lesson) {
      run.resumable = true;
      await store.putWeights(run, weights);
    }
    store.saveNow(run);
    invalidate();
  }

  /** An LR sweep of `config` from fresh weights, timed: its training speed goes to `state.speed`. */
  async function timedSweep(runId, config, sweep) {
    const started = performance.now();
    const result = await client.request(Request.FIND_LR, { runId, run: config, sweep });
    const seconds = (performance.now() - started) / 1000;
    const batch = config.train.batch_size;
    state.speed = { backend: state.backend.active, batch, model: config.model, samplesPerSecond: (result.lrs.length * batch) / seconds, at: Date.now() };
    return { result, seconds };
  }

  async function drive(run, stepEpoch) {
    try {
      const answer = await client.request(Request.TRAIN, { stepEpoch });
      if (answer.state === 'paused') {
        run.status = 'paused';
        run.pausedBy = stepEpoch ? 'step-epoch' : 'pause';
        store.saveNow(run);
        // A stop sent while the pause was on its way still ends the run.
        if (!phase.is('stopping')) phase.to('paused');
      } else if (phase.is('training', 'pausing', 'stopping')) {
        phase.to('idle');
      }
    } catch (error) {
      await failed(run.id, error);
      if (!error.fatal) phase.to('idle');
    }
  }

  return {
    runById,
    addRun,
    onTrainEvent,
    failed,

    /** Configures a new run from `spec` and trains it (`weights`: start from these). */
    async begin({ config, variant, modified = [], name = null }, { stepOnly = false, weights = null } = {}) {
      if (!phase.to('configuring')) return null;
      const id = makeId();
      try {
        const info = await client.request(Request.CONFIGURE, { runId: id, run: config });
        if (weights) await client.request(Request.IMPORT_WEIGHTS, { bytes: weights }, [weights]);
        state.loadedRunId = null;
        state.mc = null;
        const run = addRun({ id, config, info, variant, modified, name });
        phase.to('training');
        drive(run, stepOnly);
        return run;
      } catch {
        // The worker's error is on the page already.
        if (phase.is('configuring')) phase.to('idle');
        return null;
      }
    },

    resume({ stepOnly = false } = {}) {
      const run = runById(state.activeRunId);
      if (!run || !phase.to('training')) return;
      run.status = 'running';
      state.viewRunId = run.id;
      store.saveNow(run);
      drive(run, stepOnly);
    },

    pause() {
      if (!phase.is('training')) return;
      client.request(Request.PAUSE).catch(() => {});
      phase.to('pausing');
    },

    /** Ends the run, the LR sweep, the lesson or the MC Dropout being run. */
    stop() {
      if (state.lessons.active) state.lessons.active.stopRequested = true;
      if (!phase.is('training', 'pausing', 'paused', 'lr-finding', 'lesson', 'exercise', 'mc')) return;
      if (!state.lessons.active && !phase.is('mc', 'exercise')) phase.to('stopping');
      client.request(Request.STOP).catch(() => {});
      invalidate();
    },

    /** The LR finder on `config` from fresh weights; its result goes to the LR finder panel. */
    async findLr(config, sweep) {
      if (!phase.to('lr-finding')) return null;
      state.lrFinderProgress = { steps: 0, total: sweep.steps };
      try {
        const { result, seconds } = await timedSweep('lr-finder', config, sweep);
        state.lrFinder = { ...result, seconds, sweep, configKey: configKey(config), lrBefore: config.train.lr };
        return result;
      } catch {
        return null;
      } finally {
        state.lrFinderProgress = null;
        if (phase.is('lr-finding', 'stopping')) phase.to('idle');
      }
    },

    /** Times a few training steps of `config` (an LR sweep at tiny rates, weights restored) for time estimates. */
    async measureSpeed(config) {
      if (!phase.is('idle') || !phase.to('measuring')) return;
      try {
        await timedSweep('speed-test', config, { min_lr: 1e-7, max_lr: 1e-6, steps: SPEED_TEST_STEPS });
      } catch {
        // The worker's error is on the page already.
      } finally {
        if (phase.is('measuring')) phase.to('idle');
      }
    },

    onSweepEvent(event) {
      if (event.kind === 'swept') state.lrFinderProgress = { steps: event.steps, total: event.total };
      invalidate();
    },
  };
}
