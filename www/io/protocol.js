// The worker protocol: every message between the page (main thread) and the training worker
// (worker.js). Binary data travels as transferred ArrayBuffers (no copy).
//
// Requests, page → worker: `{id, type, ...fields}` with `type` one of `Request` below and `id` a
// number unique per worker. The worker handles them one at a time, in order, except PAUSE and
// STOP, which act at once on the run being trained. Each request is answered exactly once:
//   `{type: 'answer', id, value}`                 — what the request's comment says it answers;
//   `{type: 'error', id, message, kind, fatal, runId?}` — `kind`: 'config', 'data', 'device',
//       'device-lost', 'busy', 'engine' (a wasm trap) or 'error'; `fatal`: the wasm instance or
//       the GPU device is gone, start a new worker. An error with `id: null` belongs to no request.
// Messages the worker sends on its own:
//   `{type: 'event', runId, job: 'run'|'sweep'|'lesson', event}` — what the job being driven did:
//       job 'run': TrainEvent {kind: 'probed', probe} | {kind: 'stepped', progress} |
//         {kind: 'epoch-ended', summary} | {kind: 'finished', report: {stop, best_epoch, valid,
//         test, seconds}}, and {kind: 'best-weights', bytes} after an epoch that improved (so a
//         lost device does not lose them);
//       job 'sweep': {kind: 'swept', steps, total} | {kind: 'found', result};
//       job 'mc' (MC_DROPOUT): {kind: 'counted', done, total, next, evaluation}: `done` of
//         `total` forward passes over the split are computed and the evaluation under way takes
//         `next`; sent before each evaluation, with the last one's `evaluation` (null before the
//         plain one), and as the passes of a count are done (`evaluation` null: after each pass
//         on the generic step, after all of them on the fused one);
//       job 'lesson': {kind: 'swept', index, event} | {kind: 'run-started', index, label, model,
//         train, preprocessing, parameters, steps_per_epoch} | {kind: 'trained', index, event:
//         TrainEvent} | {kind: 'run-ended', index, outcome} | {kind: 'run-weights', index, bytes}
//         (the run's restored best weights, after run-ended) | {kind: 'finished', finding, stopped};
//         `runId` is then the id the LESSON request gave run `index`.
//       job 'exercise': the events of crate/src/exercise/runner.rs ({kind: 'part-started', plan} |
//         {kind: 'searching', part, lr, candidate, candidates, event} | {kind: 'candidate', part,
//         candidate} | {kind: 'searched', part, search} | {kind: 'swept', part, event} |
//         {kind: 'run-started', part, model, train, preprocessing, parameters, steps_per_epoch,
//         step} | {kind: 'trained', part, event} | {kind: 'measured', part, row} |
//         {kind: 'part-ended', part, rows} | {kind: 'finished', table, stopped}); `runId` is the
//         id the EXERCISE request gave the part's run.
//   `{type: 'data-status', status}` — after shards were added: {dataset, classes, image_shape,
//       loaded: [train, valid, test], expected: [...], ready_to_train, test_complete}.
// The events are the Rust state machines' own (crate/src/train/run.rs, lr_finder.rs,
// lessons/runner.rs): the order of a run lives there, not here.

/** Page → worker requests. */
export const Request = Object.freeze({
  /** {backend: 'auto'|'webgpu'|'cpu'} → {backend, adapter: {vendor, architecture, description, software}|null, reason, variants, choices}. */
  INIT: 'init',
  /** {manifest: string, stats: ArrayBuffer} → data status. Starts a dataset; a job on the old one ends. */
  DATASET: 'dataset',
  /** {split: 'train'|'valid'|'test', index, bytes: ArrayBuffer} → data status. A verified shard, in order per split; while a job runs it is added between two of its steps. */
  SHARD: 'shard',
  /** {train, valid, test, seed} → data status. The synthetic dataset instead. */
  SYNTHETIC: 'synthetic',
  /** {runId, run: {model, train, preprocessing}} → {model, parameters, steps_per_epoch}. A fresh model and optimizer. */
  CONFIGURE: 'configure',
  /** {stepEpoch: boolean} → {state: 'paused'|'done'}. Trains the configured run (events meanwhile) until it ends, a PAUSE, or (stepEpoch) the end of the epoch. */
  TRAIN: 'train',
  /** {runId, run, sweep: {min_lr, max_lr, steps}} → the sweep's result {lrs, losses, smoothed, suggested_lr, diverged, stopped}. The LR finder on a fresh model (events meanwhile). */
  FIND_LR: 'find-lr',
  /** {name, options, runIds: string[]} → {state: 'done', finding, stopped}. Runs a lesson's runs (events meanwhile, each run's tagged with runIds[index]). */
  LESSON: 'lesson',
  /** {edition: 'second'|'third', length: 'quick'|'full', options, runIds: string[5], done: ResultRow[]} → {state: 'done', table, stopped} | {state: 'paused'} (after a PAUSE; CONTINUE goes on, STOP ends it with a 'finished' event). Runs exercise 8 whole after the parts whose rows `done` holds (events meanwhile, each part's tagged with runIds[b, c, d, e, f]). */
  EXERCISE: 'exercise',
  /** {} → as EXERCISE. Goes on with the paused exercise. */
  CONTINUE: 'continue',
  /** {edition, length, options, trainRecords} → the exercise's plan {edition, length, parts: [{part, variant, train, search, search_epochs, mc_passes}], max_steps: [per part, on trainRecords records], reference: [{row, val_accuracy, test_accuracy, commit}]}. */
  EXERCISE_PLAN: 'exercise-plan',
  /** {} → {paused: boolean}. Pauses the run being trained after its current chunk. */
  PAUSE: 'pause',
  /** {} → {stopped: boolean}. Ends the run, sweep or lesson being driven (or paused): a run restores its best weights and is evaluated, a sweep keeps the rates swept so far; or MC Dropout after its current count. */
  STOP: 'stop',
  /** {split} → Evaluation {loss, accuracy, records, passes, seconds} of the current weights. */
  EVALUATE: 'evaluate',
  /** {runId, split, samples: number[]} → {split, plain: Evaluation, mc: Evaluation[] (one per count), stopped}. Progress events meanwhile; STOP ends it after the current count. */
  MC_DROPOUT: 'mc-dropout',
  /** {} → {bytes: ArrayBuffer}: the current weights. */
  EXPORT_WEIGHTS: 'export-weights',
  /** {bytes: ArrayBuffer} → {}: weights into the configured run. */
  IMPORT_WEIGHTS: 'import-weights',
  /** {options} → [{name, question, caption, runs: [{label, model, train, preprocessing}]}]. The chapter's lessons. */
  LESSONS: 'lessons',
  /**
   * {run: {model, train, preprocessing}} → {preview: {model, samples, real, gaussian}} (per-layer
   * statistics of the untrained model, crate/src/preview.rs), {error, kind} when it cannot be
   * computed (no dataset yet, invalid settings), or {superseded: true} when a newer PREVIEW came
   * before it was computed: only the latest is. While a job is driven it is computed between two
   * of its steps, so the job keeps going.
   */
  PREVIEW: 'preview',
  /**
   * {variant, run: {model, train, preprocessing}} → {problem: string|null}: whether the crate
   * accepts these settings (the variant exists, every field has its type and range), as the CLI
   * checks them. Answered at once, even while a job is driven.
   */
  CHECK_SETTINGS: 'check-settings',
  /**
   * {epochs, probes (their stats without histograms)} → {epochs: string, probes: string}: a run's
   * history as CSV, written by the crate (crate/src/train/csv.rs). Answered at once, even while a
   * job is driven.
   */
  HISTORY_CSV: 'history-csv',
  /**
   * {bytes: ArrayBuffer (transferred), fileName} → {run, weights: ArrayBuffer|null} or {problem}:
   * a run file read and checked by the crate (crate/src/run_file): every field of the run with
   * its type and range, the weights' container; the problem names the file and the field.
   * Answered at once, even while a job is driven.
   */
  READ_RUN_FILE: 'read-run-file',
});

/** The `type` of worker → page messages. */
export const Message = Object.freeze({
  ANSWER: 'answer',
  ERROR: 'error',
  EVENT: 'event',
  DATA_STATUS: 'data-status',
});
