// Run files: a run exported to JSON (config, history with the per-layer statistics, results,
// best weights) and read back. A file is untrusted input: every field the page reads is checked
// (type, range, finite numbers, array lengths and element shapes, string lengths), keys such as
// `__proto__` are refused, the weights' base64 and their header are checked with sizes that
// cannot overflow, and the run is rebuilt from the checked fields only, so that nothing else in
// the file reaches the page or the browser's storage. A bad file is rejected with a message that
// names the file and the field.
import { checkWeights } from './weights-file.js';
import { toBase64, fromBase64 } from './base64.js';
import { unpackHistograms } from './histograms.js';

export const RUN_FILE_FORMAT = 'selfnorm-run';
const RUN_FILE_VERSION = 1;
export const STATUSES = ['running', 'paused', 'finished', 'interrupted', 'failed', 'diverged'];

// Bounds far above any real run, low enough that a file cannot make the page hold or draw
// absurd amounts: a 100-epoch CIFAR-10 run has ~140k steps at batch 32 and ~2k probes.
const MAX_FILE_CHARS = 512 * 1024 * 1024;
const MAX_EPOCHS = 100_000;
const MAX_STEPS = 2_000_000;
const MAX_PROBES = 200_000;
const MAX_LAYERS = 10_000;
const MAX_NAME = 200;
const MAX_TEXT = 20_000;
const MAX_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A rejected file; `field` is the path of the offending value (`run.history.epochs[3].val_loss`). */
export class RunFileError extends Error {
  constructor(fileName, field, problem) {
    super(field ? `${fileName}: ${field} ${problem}` : `${fileName} ${problem}`);
    this.name = 'RunFileError';
    this.field = field;
  }
}

// ---- checkers: each takes (value, path, fail) and returns the checked value ---------------------

const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `a string of ${v.length} characters` : typeof v === 'object' ? 'an object' : String(v));

function num({ min = -Infinity, max = Infinity, int = false, nullable = false } = {}) {
  return (v, path, fail) => {
    if (v === null && nullable) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `must be a finite number${nullable ? ' or null' : ''} (got ${describe(v)})`);
    if (int && !Number.isSafeInteger(v)) fail(path, `must be a whole number (got ${v})`);
    if (v < min || v > max) fail(path, `must be in [${min}, ${max}] (got ${v})`);
    return v;
  };
}
const int = (min = 0, max = Number.MAX_SAFE_INTEGER) => num({ min, max, int: true });
const fraction = num({ min: 0, max: 1 });
const seconds = num({ min: 0 });
const time = num({ min: 0, nullable: true });

function str({ max = MAX_NAME, min = 0, nullable = false, oneOf = null } = {}) {
  return (v, path, fail) => {
    if (v === null && nullable) return null;
    if (typeof v !== 'string') fail(path, `must be a string${nullable ? ' or null' : ''} (got ${describe(v)})`);
    if (v.length < min || v.length > max) fail(path, `must be ${min}–${max} characters long (got ${v.length})`);
    if (oneOf && !oneOf.includes(v)) fail(path, `must be one of ${oneOf.join(', ')} (got ${JSON.stringify(v.slice(0, 40))})`);
    return v;
  };
}

const bool = (v, path, fail) => (typeof v === 'boolean' ? v : fail(path, `must be true or false (got ${describe(v)})`));

function arr(item, max, { length = null } = {}) {
  return (v, path, fail) => {
    if (!Array.isArray(v)) fail(path, `must be an array (got ${describe(v)})`);
    if (v.length > max) fail(path, `has ${v.length} elements, more than the ${max} a run can have`);
    if (length !== null && v.length !== length) fail(path, `must have ${length} elements (got ${v.length})`);
    return v.map((x, i) => item(x, `${path}[${i}]`, fail));
  };
}

/**
 * An object with `fields` (each required unless listed in `optional`, which gives its default);
 * other keys are dropped, or with `rest` kept as checked JSON (a config the worker reads).
 */
function obj(fields, { optional = {}, nullable = false, rest = false } = {}) {
  return (v, path, fail) => {
    if (v === null && nullable) return null;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `must be an object${nullable ? ' or null' : ''} (got ${describe(v)})`);
    const out = {};
    for (const [key, check] of Object.entries(fields)) {
      const at = path ? `${path}.${key}` : key;
      if (!Object.hasOwn(v, key) || v[key] === undefined) {
        if (!Object.hasOwn(optional, key)) fail(at, 'is missing');
        // An optional field without a default stays absent (the worker fills in its own).
        if (optional[key] !== undefined) out[key] = structuredClone(optional[key]);
      } else {
        out[key] = check(v[key], at, fail);
      }
    }
    if (rest) for (const key of Object.keys(v)) if (!Object.hasOwn(fields, key)) out[key] = json(v[key], path ? `${path}.${key}` : key, fail);
    return out;
  };
}

/** Any JSON value (the worker checks its meaning), bounded in depth and free of forbidden keys. */
function json(v, path, fail, depth = 0) {
  if (depth > MAX_DEPTH) fail(path, `is nested more than ${MAX_DEPTH} levels deep`);
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? str({ max: MAX_TEXT })(v, path, fail) : v;
  if (Array.isArray(v)) return v.map((x, i) => json(x, `${path}[${i}]`, fail, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, json(x, `${path}.${k}`, fail, depth + 1)]));
}

// ---- the run's shape ---------------------------------------------------------------------------

const evaluation = obj({ loss: num({ nullable: true }), accuracy: fraction, records: int(), passes: int(), seconds });
const maybeEvaluation = (v, path, fail) => (v === null ? null : evaluation(v, path, fail));

const epochRecord = obj({
  epoch: int(1), train_loss: num({ nullable: true }), train_accuracy: fraction, val_loss: num({ nullable: true }), val_accuracy: fraction,
  lr: num({ min: 0 }), samples: int(), train_seconds: seconds, seconds, samples_per_s: seconds,
});
// JSON writes a diverged chunk's NaN or infinite loss as null.
const stepLoss = obj({ step: int(), epoch: int(), loss: num({ nullable: true }) });
const STAT_FIELDS = ['pre_mean', 'pre_std', 'act_mean', 'act_std', 'saturated', 'dead', 'grad_norm', 'unit_spread'];

const MAX_BINS = 1024;

/** Packed histograms (histograms.js): the base64 must hold exactly layers × bins u16 counts. */
function histograms(layers) {
  const fields = obj({ lo: num(), hi: num(), bins: int(1, MAX_BINS), scale: int(1), counts: str({ max: MAX_LAYERS * MAX_BINS * 4 }) });
  return (v, path, fail) => {
    const h = fields(v, path, fail);
    if (h.hi <= h.lo) fail(`${path}.hi`, `must be above lo (got ${h.lo} and ${h.hi})`);
    if (!unpackHistograms(h, layers)) fail(`${path}.counts`, `must be the base64 of ${layers} × ${h.bins} 16-bit counts`);
    return h;
  };
}

// Which weights a probe measured (absent in runs recorded before it was kept): the final probe's
// are the restored best epoch's.
const probeWeights = obj({ kind: str({ oneOf: ['current', 'restored-best'] }), epoch: int(1) }, { optional: { epoch: undefined } });

function probe(v, path, fail) {
  const layers = Array.isArray(v?.stats?.pre_mean) ? v.stats.pre_mean.length : 0;
  const column = arr(num({ nullable: true }), MAX_LAYERS, { length: layers });
  const maybeColumn = (x, at) => (x === null ? null : column(x, at, fail));
  const stats = obj({ ...Object.fromEntries(STAT_FIELDS.map((f) => [f, column])), update_ratio: maybeColumn, histograms: histograms(layers) },
    { optional: { update_ratio: null, histograms: undefined } });
  return obj({ step: int(), epoch: num({ min: 0 }), weights: probeWeights, stats }, { optional: { weights: undefined } })(v, path, fail);
}

const STOP_KINDS = ['early-stopping', 'max-epochs', 'stopped', 'diverged', 'failed'];
const stopReason = obj({ kind: str({ oneOf: STOP_KINDS }), best_epoch: int(), message: str({ max: MAX_TEXT }) },
  { optional: { best_epoch: undefined, message: undefined }, nullable: true });

const history = obj({
  epochs: arr(epochRecord, MAX_EPOCHS),
  steps: arr(stepLoss, MAX_STEPS),
  probes: arr(probe, MAX_PROBES),
  best_epoch: int(),
  stop: stopReason,
}, { optional: { stop: null } });

const ACTIVATIONS = ['elu', 'selu', 'relu', 'leaky-relu', 'tanh', 'sigmoid', 'swish'];
const model = obj({
  input_dim: int(1, 100_000_000), classes: int(2, 1_000_000), depth: int(1, MAX_LAYERS), width: int(1, 1_000_000),
  activation: str({ oneOf: ACTIVATIONS }), kernel_init: json, output_init: json, bias_init: num(),
  batch_norm: bool, input_batch_norm: bool,
  dropout: obj({ kind: str({ oneOf: ['standard', 'alpha'] }), rate: num({ min: 0, max: 0.999999 }), placement: str({ oneOf: ['before-output', 'every-hidden'] }) }, { nullable: true }),
}, { optional: { input_batch_norm: undefined, dropout: undefined }, rest: true });

const train = obj({
  lr: num({ min: 0 }), schedule: json, optimizer: json, batch_size: int(1), max_epochs: int(1), patience: int(),
  seed: int(), l1: num({ min: 0 }), readback_every: int(1), probe_every: int(), probe_size: int(), max_train_records: int(),
}, { optional: Object.fromEntries(['schedule', 'optimizer', 'seed', 'l1', 'readback_every', 'probe_every', 'probe_size', 'max_train_records'].map((k) => [k, undefined])), rest: true });

const mcResult = obj({ runId: str({ nullable: true }), split: str({ oneOf: ['valid', 'test'] }), plain: evaluation, mc: arr(evaluation, 1000), samples: json, at: time },
  { optional: { runId: null, samples: null, at: null }, nullable: true });

const run = obj({
  id: str({ nullable: true }),
  name: str({ min: 1 }),
  variant: str(),
  modified: arr(str(), 100),
  config: obj({ model, train, preprocessing: str({ nullable: true }) }, { optional: { preprocessing: undefined }, rest: true }),
  dataset: str({ nullable: true }),
  backend: str({ nullable: true }),
  status: str({ oneOf: STATUSES }),
  created: time,
  updated: time,
  info: obj({ parameters: int(), steps_per_epoch: int(), step: json }, { optional: { step: null }, nullable: true }),
  history,
  summary: obj({ best_epoch: int(), best_val_loss: num({ nullable: true }), patience_left: int(), finished: bool }, { nullable: true }),
  lrFinder: (v, path, fail) => (v === null ? null : json(v, path, fail)),
  results: obj({ valid: maybeEvaluation, test: maybeEvaluation, mc: mcResult, validHere: maybeEvaluation, testHere: maybeEvaluation, evaluatedOn: str({ nullable: true }) },
    { optional: { valid: null, test: null, mc: null, validHere: null, testHere: null, evaluatedOn: null } }),
  timings: obj({ started: time, finished: time, finishSeconds: time }, { optional: { started: null, finished: null, finishSeconds: null } }),
  error: str({ max: MAX_TEXT, nullable: true }),
  lesson: obj({ name: str(), label: str(), startedAt: time }, { optional: { startedAt: null }, nullable: true }),
}, {
  optional: {
    id: null, modified: [], dataset: null, backend: null, created: null, updated: null, info: null, summary: null, lrFinder: null,
    results: { valid: null, test: null, mc: null }, timings: { started: null, finished: null, finishSeconds: null }, error: null, lesson: null,
  },
});

const weightsEntry = obj({ encoding: str({ oneOf: ['base64'] }), format: str({ oneOf: ['safetensors', 'SNW1'] }), bytes: str({ max: MAX_FILE_CHARS }) }, { nullable: true });

// ---- reading and writing -----------------------------------------------------------------------

/** Strict base64 of the weights, or a RunFileError. */
function weightBytes(text, fail) {
  const bytes = fromBase64(text);
  if (!bytes) fail('weights.bytes', `is not valid base64 (${text.length} characters; cut short or damaged?)`);
  return bytes.buffer;
}

/** The text of a run file: config, history (with the per-layer statistics), results, weights. */
export function exportRunFile(run, weights) {
  const { historyLoaded, ...record } = run;
  return JSON.stringify({
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    exported: new Date().toISOString(),
    run: record,
    weights: weights ? { encoding: 'base64', format: 'safetensors', bytes: toBase64(weights) } : null,
  });
}

/** Refuses keys that would reach an object's prototype if the file were merged into one. */
function rejectForbiddenKeys(text, fileName) {
  const found = /"(__proto__|constructor|prototype)"\s*:/.exec(text);
  if (!found) return;
  // A match may sit inside a string value: confirm with a walk over the parsed keys.
  const walk = (v, path) => {
    if (v === null || typeof v !== 'object') return;
    for (const key of Object.keys(v)) {
      const at = Array.isArray(v) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) throw new RunFileError(fileName, at, 'is a key a run file never has; the file was made or edited by hand and is refused');
      walk(v[key], at);
    }
  };
  return walk;
}

/**
 * Reads a run file; returns `{run, weights}` with a new id (so importing twice, or importing a
 * run this browser already has, never overwrites anything). Throws a RunFileError that names the
 * file and the field.
 */
export function parseRunFile(text, fileName, newId) {
  const fail = (field, problem) => {
    throw new RunFileError(fileName, field, problem);
  };
  if (typeof text !== 'string' || text.length > MAX_FILE_CHARS) fail(null, `is larger than a run file can be (${MAX_FILE_CHARS / 2 ** 20} MB).`);
  const walk = rejectForbiddenKeys(text, fileName);
  let file;
  try {
    file = JSON.parse(text);
  } catch (error) {
    fail(null, `is not a selfnorm run file (not JSON: ${error.message}).`);
  }
  walk?.(file, '');
  if (file?.format !== RUN_FILE_FORMAT) fail(null, `is not a selfnorm run file (format ${JSON.stringify(file?.format ?? null)}, expected "${RUN_FILE_FORMAT}").`);
  if (file.version !== RUN_FILE_VERSION) fail(null, `has run file version ${JSON.stringify(file.version)}; this page reads version ${RUN_FILE_VERSION}.`);
  const checked = run(file.run, 'run', fail);
  const entry = weightsEntry(file.weights ?? null, 'weights', fail);
  const weights = entry ? weightBytes(entry.bytes, fail) : null;
  if (weights) {
    const problem = checkWeights(weights, entry.format);
    if (problem) fail('weights', problem);
  }
  return {
    run: {
      ...checked,
      id: newId,
      originalId: checked.id,
      status: checked.status === 'running' || checked.status === 'paused' ? 'interrupted' : checked.status,
      progress: null,
      imported: true,
      importedFrom: fileName.slice(0, MAX_NAME),
      hasWeights: Boolean(weights),
    },
    weights,
  };
}
