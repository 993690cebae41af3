// How long a run, a sweep or a lesson will take in this browser, from speeds measured here: the
// epochs of runs trained on the active backend (training and validation timed apart), or the last
// timed LR sweep (training steps only). A net of another size is scaled by its multiply-adds per
// sample; a run with another batch size is not used, since throughput depends on the batch size
// far from proportionally.
import { fmtInt } from './format.js';

/** Steps of the speed test: enough to average out one slow step, short enough to be a pause. */
export const SPEED_TEST_STEPS = 30;

/** Multiply-adds per sample of a dense net: the cost model that compares two nets' speeds. */
export function macsPerSample(model) {
  return model.input_dim * model.width + (model.depth - 1) * model.width * model.width + model.width * model.classes;
}

/** Records one epoch trains on, given the training records the dataset holds. */
export function recordsPerEpoch(train, available) {
  return train.max_train_records > 0 ? Math.min(train.max_train_records, available) : available;
}

const sameShape = (a, b) => ['input_dim', 'classes', 'depth', 'width'].every((k) => a[k] === b[k])
  && Boolean(a.batch_norm) === Boolean(b.batch_norm) && Boolean(a.input_batch_norm) === Boolean(b.input_batch_norm);

/** Every measurement on `backend` at `batch`: {trainPerSample, validSeconds|null, model, from, at}. */
function measurements(state, backend, batch) {
  const found = [];
  for (const run of state.runs) {
    if (run.backend !== backend || run.imported || run.config.train.batch_size !== batch) continue;
    const epochs = run.history.epochs.filter((e) => e.samples > 0 && e.train_seconds > 0);
    const sum = (key) => epochs.reduce((a, e) => a + e[key], 0);
    if (epochs.length) {
      found.push({ trainPerSample: sum('train_seconds') / sum('samples'), validSeconds: (sum('seconds') - sum('train_seconds')) / epochs.length, model: run.config.model, from: run.name, at: run.created });
    } else if (run.progress?.samples_per_s > 0) {
      found.push({ trainPerSample: 1 / run.progress.samples_per_s, validSeconds: null, model: run.config.model, from: run.name, at: run.created });
    }
  }
  const sweep = state.speed;
  if (sweep && sweep.backend === backend && sweep.batch === batch) {
    found.push({ trainPerSample: 1 / sweep.samplesPerSecond, validSeconds: null, model: sweep.model, from: 'a timed sweep', at: sweep.at });
  }
  return found;
}

/**
 * The measured cost of training `config` on the active backend, or null when nothing comparable
 * was measured: `{trainPerSample, validSeconds, from, scaled}` (seconds per training sample, and
 * per epoch's validation when known), from the latest measurement of the same net, else the
 * latest of another size scaled by multiply-adds.
 */
export function measuredCost(state, config) {
  if (!state.backend.active) return null;
  const found = measurements(state, state.backend.active, config.train.batch_size).sort((a, b) => b.at - a.at);
  const exact = found.find((m) => sameShape(m.model, config.model));
  const best = exact ?? found[0];
  if (!best) return null;
  const ratio = exact ? 1 : macsPerSample(config.model) / macsPerSample(best.model);
  return { trainPerSample: best.trainPerSample * ratio, validSeconds: best.validSeconds === null ? null : best.validSeconds * ratio, from: best.from, scaled: !exact };
}

/** Seconds for `epochs` epochs of `records` records at `cost` (validation unknown: training only). */
export function runSeconds(cost, epochs, records) {
  return epochs * (records * cost.trainPerSample + (cost.validSeconds ?? 0));
}

/** Seconds for an LR sweep of `steps` steps at `batch`. */
export function sweepSeconds(cost, steps, batch) {
  return steps * batch * cost.trainPerSample;
}

// Until this browser has measured its own speed: training samples/s of the exercise's 20 × 100
// net at batch 32, per backend. CPU (wasm) and WebGPU on SwiftShader are the speeds measured in
// headless Chromium on two cores (docs/PERFORMANCE.md); a hardware GPU's is a cautious fraction
// of the fused step's projected speed there, since none was measured.
const PRIOR_SAMPLES_PER_SECOND = { cpu: 2_000, gpu: 8_000, 'software-gpu': 300 };
const PRIOR_MODEL = { input_dim: 3072, depth: 20, width: 100, classes: 10 };

/**
 * A rough cost on `backend` (by what it trains on, `backend.trainsOn`) before anything was
 * measured here, scaled by multiply-adds to the net of `config` (whatever its batch size), or
 * null for an unknown backend. Marked `prior` so the page says it is a guess.
 */
export function priorCost(backend, config) {
  const rate = PRIOR_SAMPLES_PER_SECOND[backend.trainsOn];
  if (!rate) return null;
  const trainPerSample = macsPerSample(config.model) / macsPerSample(PRIOR_MODEL) / rate;
  return { trainPerSample, validSeconds: null, from: 'a built-in guess', scaled: false, prior: true };
}

/** Where a cost comes from, for the sentence under an estimate. */
export function costSource(cost) {
  if (cost.prior) return 'a built-in guess for this backend, not a measurement: Measure speed (a few seconds) or train once for this browser\'s own figure';
  const rate = `${fmtInt(1 / cost.trainPerSample)} samples/s`;
  return `${rate} measured ${cost.from === 'a timed sweep' ? 'by a timed sweep' : `on ${cost.from}`}${cost.scaled ? ', scaled to this net\'s size' : ''}${cost.validSeconds === null ? '; validation not included' : ''}`;
}
