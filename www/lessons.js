// A lesson in the page, run as `selfnorm lesson NAME` runs it (crate/src/lessons/runner.rs): its
// runs one after the other, each a normal run of the page; then, for each run that did not
// diverge, the lesson's own measurements (the "extras"), and last the finding the wasm module
// distils from the outcomes, so that the page and the CLI report the same figures.
import { ToWorker } from './protocol.js';

/** Weights with |w| at most this count as zero in the sparsity figures (runner.rs ZERO_THRESHOLD). */
export const ZERO_THRESHOLD = 1e-3;
/** Target sparsities of the magnitude-pruned copies of the sparsity lesson's first run. */
export const PRUNE_LEVELS = [0.5, 0.8, 0.9, 0.95];
/** MC Dropout sample counts timed by the dropout-cost lesson. */
export const MC_SAMPLES = [10, 100];
/** The LR finder's sweep before a 1cycle run. */
export const ONE_CYCLE_SWEEP = { min_lr: 1e-5, max_lr: 1, steps: 0 };

export class LessonStopped extends Error {
  constructor(message) {
    super(message);
    this.name = 'LessonStopped';
  }
}

/**
 * Runs `lesson` (an entry of the LESSONS answer). `api`:
 * - `request(type, fields)`: a worker request (worker-client.js);
 * - `findLr(config, sweep)`: the LR finder on `config`, resolves with its result;
 * - `train(lessonRun, index, config)`: trains one run to its end and resolves with the page's
 *   run record (status finished or diverged; it rejects when the run fails or the worker dies);
 * - `step(text)`: what the lesson is doing now, for the panel; it throws LessonStopped when the
 *   user stopped the lesson meanwhile.
 * Resolves with `{finding, outcomes, runs}` (`runs`: the page's run records, in order).
 */
export async function runLesson(lesson, api) {
  const outcomes = [];
  const runs = [];
  for (const [index, spec] of lesson.runs.entries()) {
    const config = structuredClone({ model: spec.model, train: spec.train, preprocessing: spec.preprocessing });
    const extra = {};
    if (config.train.schedule?.kind === 'one-cycle') {
      api.step(`${spec.label}: LR finder for 1cycle's peak rate`);
      const found = await api.findLr(config, ONE_CYCLE_SWEEP);
      // 1cycle's peak: half the rate of the lowest smoothed loss (the LR finder's suggestion is
      // a tenth of it, meant for a constant rate).
      config.train.lr = found.suggested_lr * 5;
      extra.max_lr = config.train.lr;
    }
    api.step(`${spec.label}: training`);
    const run = await api.train(spec, index, config);
    if (run.history.stop?.kind === 'stopped') {
      throw new LessonStopped(`The lesson was stopped during its run "${spec.label}"; the runs it trained stay in the runs table.`);
    }
    const diverged = run.status === 'diverged';
    if (!diverged) {
      api.step(`${spec.label}: measuring`);
      await addExtras(lesson.name, index, run, api, extra);
    }
    runs.push(run);
    outcomes.push({
      label: spec.label,
      history: run.history,
      valid: diverged ? null : run.results.valid,
      error: diverged ? run.error : null,
      extra,
    });
  }
  api.step('Computing the finding');
  const { finding } = await api.request(ToWorker.LESSON_FINDING, { lesson, outcomes });
  return { finding, outcomes, runs };
}

/** The lesson's own figures, measured on the run's restored best weights (still in the worker). */
async function addExtras(lesson, index, run, api, extra) {
  switch (lesson) {
    case 'sparsity': {
      const { fractions } = await api.request(ToWorker.ZERO_FRACTIONS, { threshold: ZERO_THRESHOLD });
      extra.zero_fraction = fractions;
      if (index === 0) {
        const { results } = await api.request(ToWorker.PRUNE, { levels: PRUNE_LEVELS });
        extra.pruning = results.map(({ sparsity, evaluation }) => ({ sparsity, val_accuracy: evaluation.accuracy, val_loss: evaluation.loss }));
      }
      break;
    }
    case 'dropout-cost': {
      const samples = run.config.model.dropout ? MC_SAMPLES : [];
      const answer = await api.request(ToWorker.MC_DROPOUT, { split: 'valid', samples });
      extra.inference = [
        { mode: 'eval', samples: 1, seconds: answer.plain.seconds, accuracy: answer.plain.accuracy },
        ...answer.mc.map((e, i) => ({ mode: 'mc-dropout', samples: samples[i], seconds: e.seconds, accuracy: e.accuracy })),
      ];
      if (samples.length) run.results = { ...run.results, mc: { runId: run.id, split: answer.split, plain: answer.plain, mc: answer.mc, samples, at: Date.now() } };
      break;
    }
    default:
      break;
  }
}

/** The finding's runs in the lesson's order (the finding keys them by label, sorted). */
export function orderedRuns(record) {
  const runs = record.finding?.runs ?? {};
  const labels = record.runs?.map((r) => r.label) ?? Object.keys(runs);
  return labels.filter((label) => label in runs).map((label) => ({ label, ...runs[label], run: record.runs?.find((r) => r.label === label) ?? null }));
}
