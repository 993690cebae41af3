// The worker protocol: every message between the page (main thread) and the training worker
// (worker.js). Messages are plain objects `{type, ...fields}`; binary data travels as
// transferred ArrayBuffers (no copy). The worker handles one request at a time; training runs
// in chunks, so pause/stop/step requests are seen between chunks.

/** Page → worker requests. */
export const ToWorker = Object.freeze({
  /** {backend: 'auto'|'webgpu'|'cpu'} — pick and start the compute backend. Answer: READY. */
  INIT: 'init',
  /** {manifest: string (manifest.json text), stats: ArrayBuffer} — start a dataset. Answer: DATA_STATUS. */
  DATASET: 'dataset',
  /** {split: 'train'|'valid'|'test', index: number, bytes: ArrayBuffer} — a verified shard, in order per split. Answer: DATA_STATUS. */
  SHARD: 'shard',
  /** {train, valid, test, seed} — use the synthetic dataset instead. Answer: DATA_STATUS. */
  SYNTHETIC: 'synthetic',
  /** {runId, run: {model, train, preprocessing}} — fresh model and optimizer. Answer: CONFIGURED. */
  CONFIGURE: 'configure',
  /** {sweep: {min_lr, max_lr, steps}} — LR finder on the configured run; weights restored after. Answer: LR_FOUND. */
  FIND_LR: 'find-lr',
  /** {} — start or resume training. Answers: PROGRESS, PROBE, EPOCH…, then FINISHED (or PAUSED). */
  TRAIN: 'train',
  /** {} — train to the end of the current epoch, then pause. */
  STEP_EPOCH: 'step-epoch',
  /** {} — pause after the current chunk. Answer: PAUSED. */
  PAUSE: 'pause',
  /** {} — end the run now (best weights restored, then evaluated). Answer: FINISHED. */
  STOP: 'stop',
  /** {split: 'valid'|'test'} — plain evaluation of the current weights. Answer: EVALUATION. */
  EVALUATE: 'evaluate',
  /** {split, samples: number[]} — MC Dropout vs plain, with timings. Answer: MC_DROPOUT. */
  MC_DROPOUT: 'mc-dropout',
  /** {} — current weights. Answer: WEIGHTS. */
  EXPORT_WEIGHTS: 'export-weights',
  /** {bytes: ArrayBuffer} — load weights into the configured run. Answer: IMPORTED. */
  IMPORT_WEIGHTS: 'import-weights',
  /** {options: {epochs, max_train_records, seed, depth, width, lr, l1}} (every field optional) — the chapter's lessons, each a list of runs. Answer: LESSONS. */
  LESSONS: 'lessons',
  /** {threshold: number} — per kernel of the configured run (hidden layers, then the output layer), the fraction of weights with |w| ≤ threshold. Answer: ZERO_FRACTIONS. */
  ZERO_FRACTIONS: 'zero-fractions',
  /** {levels: number[]} — magnitude-prunes copies of the configured run's weights to each sparsity and evaluates them on the validation split; the run's weights are untouched. Answer: PRUNED. */
  PRUNE: 'prune',
  /** {lesson: Lesson (from LESSONS), outcomes: [{label, history, valid: Evaluation|null, error: string|null, extra: object}]} — the figures that answer the lesson's question, as `selfnorm lesson NAME` reports them. Answer: LESSON_FINDING. */
  LESSON_FINDING: 'lesson-finding',
});

/** Worker → page messages. */
export const FromWorker = Object.freeze({
  /** {backend: 'webgpu'|'cpu', adapter: {vendor, architecture, description, software}|null, reason: string,
   *  variants: [{name, title, model, preprocessing, lr}]} */
  READY: 'ready',
  /** {status: {dataset, classes, image_shape, loaded: [train, valid, test], expected: [...], ready_to_train}} */
  DATA_STATUS: 'data-status',
  /** {runId, info: {model, parameters, steps_per_epoch}} */
  CONFIGURED: 'configured',
  /** {result: {lrs, losses, smoothed, suggested_lr, diverged}, seconds} */
  LR_FOUND: 'lr-found',
  /** {runId, progress: {epoch, step_in_epoch, steps_in_epoch, step, loss, lr, samples_per_s, epoch_complete}} */
  PROGRESS: 'progress',
  /** {runId, probe: {step, epoch, stats: {pre_mean, pre_std, act_mean, act_std, saturated, dead, grad_norm, unit_spread}}} */
  PROBE: 'probe',
  /** {runId, summary: {record: {epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr, samples, train_seconds, seconds, samples_per_s}, best_epoch, best_val_loss, patience_left, finished}} */
  EPOCH: 'epoch',
  /** {runId, reason: 'pause'|'step-epoch'} */
  PAUSED: 'paused',
  /** {runId, history, valid: Evaluation, test: Evaluation|null, seconds} — Evaluation: {loss, accuracy, records, passes, seconds} */
  FINISHED: 'finished',
  /** {split, result: Evaluation} */
  EVALUATION: 'evaluation',
  /** {split, plain: Evaluation, mc: Evaluation[]} */
  MC_DROPOUT: 'mc-dropout',
  /** {bytes: ArrayBuffer} */
  WEIGHTS: 'weights',
  /** {} */
  IMPORTED: 'imported',
  /** {lessons: [{name, question, caption, runs: [{label, model, train, preprocessing}]}]} */
  LESSONS: 'lessons',
  /** {threshold, fractions: number[]} */
  ZERO_FRACTIONS: 'zero-fractions',
  /** {results: [{sparsity, evaluation: Evaluation}]} */
  PRUNED: 'pruned',
  /** {finding: {question, caption, runs: {[label]: {val_accuracy, val_loss, epochs, val_accuracy_per_epoch, train_loss_per_epoch, seconds_per_epoch, error, layers?: {act_mean, act_std, grad_norm, dead, saturated, unit_spread}, ...extra}}}} */
  LESSON_FINDING: 'lesson-finding',
  /** {message, during: request type, fatal: boolean, runId, history?} — fatal: the wasm instance or the GPU device is gone; start a new worker. */
  ERROR: 'error',
});
