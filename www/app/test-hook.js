// `window.selfnorm.state`: a summary of the page's state for the end-to-end tests, read-only.
import { unpackHistograms } from '../io/histograms.js';
import { comparedRuns, comparisonData } from './comparison.js';

function runSummary(run) {
  return run && {
    id: run.id,
    name: run.name,
    variant: run.variant,
    status: run.status,
    imported: Boolean(run.imported),
    hasWeights: Boolean(run.hasWeights),
    step: run.info?.step ?? null,
    epochs: run.history.epochs.length,
    probes: run.history.probes.length,
    steps: run.history.steps.length,
    bestEpoch: run.history.best_epoch,
    stop: run.history.stop ?? null,
    error: run.error ?? null,
    valAccuracy: run.results?.valid?.accuracy ?? null,
    bestValLoss: run.history.epochs.find((e) => e.epoch === run.history.best_epoch)?.val_loss ?? null,
    validHereLoss: run.results?.validHere?.loss ?? null,
    testAccuracy: run.results?.test?.accuracy ?? null,
  };
}

/** The preview on view: its settings and the columns the charts draw. */
function previewSummary(preview) {
  const pick = (s) => ({ act_mean: s.act_mean, act_std: s.act_std, grad_norm: s.grad_norm });
  const current = preview.current;
  return {
    updates: preview.updates,
    pending: preview.pending,
    error: preview.error,
    hasPrevious: Boolean(preview.previous),
    seconds: current?.seconds ?? null,
    model: current?.result.model ?? null,
    real: current ? pick(current.result.real) : null,
    gaussian: current ? pick(current.result.gaussian) : null,
  };
}

/** What the histogram images of `run` are drawn from: the last probe's counts, per layer. */
function lastHistograms(run) {
  const probe = run?.history.probes.at(-1);
  return probe ? unpackHistograms(probe.stats.histograms, probe.stats.pre_mean.length) : null;
}

function dataSummary(data) {
  const files = data.files;
  const ws = data.worker;
  return {
    name: data.name,
    status: data.status,
    files: files.length,
    verified: files.filter((f) => f.status === 'verified').length,
    fromCache: files.filter((f) => f.source === 'cache').length,
    readyToTrain: Boolean(ws?.ready_to_train),
    awaitingConsent: Boolean(data.consent),
    loaded: ws?.loaded ?? null,
    expected: ws?.expected ?? null,
    error: data.error,
  };
}

function lessonsSummary(lessons) {
  return {
    catalog: lessons.catalog.map((l) => l.name),
    active: lessons.active && { name: lessons.active.name, index: lessons.active.index, total: lessons.active.total, step: lessons.active.step },
    failure: lessons.failure,
    findings: Object.fromEntries(Object.entries(lessons.records).map(([name, r]) => [name, { finished: r.finished, runIds: r.runs.map((x) => x.runId), finding: r.finding }])),
  };
}

export function installTestHook(state) {
  const snapshot = () => {
    const current = state.runs.find((r) => r.id === state.activeRunId) ?? state.runs.find((r) => r.id === state.viewRunId);
    return structuredClone({
      backend: { ...state.backend },
      lengths: state.lengths,
      variants: state.variants.map((v) => v.name),
      data: dataSummary(state.data),
      phase: state.phase,
      run: runSummary(current),
      activeRunId: state.activeRunId,
      viewRunId: state.viewRunId,
      loadedRunId: state.loadedRunId,
      epochs: current?.history.epochs.length ?? 0,
      probes: current?.history.probes.length ?? 0,
      lrFinder: state.lrFinder && { suggested_lr: state.lrFinder.suggested_lr, points: state.lrFinder.lrs.length, diverged: state.lrFinder.diverged, stopped: Boolean(state.lrFinder.stopped), seconds: state.lrFinder.seconds },
      mc: state.mc,
      lrFinderProgress: state.lrFinderProgress,
      speed: state.speed && { backend: state.speed.backend, batch: state.speed.batch, samplesPerSecond: state.speed.samplesPerSecond },
      runs: state.runs.map(runSummary),
      errors: state.errors.map(({ message, hint, fatal, during, kind }) => ({ message, hint, fatal, during, kind })),
      interruptedOnLoad: state.interruptedOnLoad,
      conversion: state.conversion && { ...state.conversion },
      trainRequest: state.trainRequest ?? null,
      lessons: lessonsSummary(state.lessons),
      exercise: state.exercise && {
        active: state.exercise.active && { edition: state.exercise.active.edition, part: state.exercise.active.part, step: state.exercise.active.step, rows: state.exercise.active.rows.length, paused: state.exercise.active.paused },
        kept: state.exercise.kept,
        failure: state.exercise.failure,
        plan: state.exercise.plan && { parts: state.exercise.plan.parts.map((p) => p.part), reference: state.exercise.plan.reference },
      },
      preview: previewSummary(state.preview),
      histograms: lastHistograms(current),
      updateRatios: current?.history.probes.map((p) => p.stats.update_ratio ?? null) ?? [],
      // The columns the comparison draws (views/compare.js), when 2 or more runs are chosen.
      comparison: comparedRuns(state).length >= 2 ? comparisonData(comparedRuns(state), state.comparison) : null,
    });
  };
  window.selfnorm = Object.freeze({ get state() { return snapshot(); } });
}
