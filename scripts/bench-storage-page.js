// The in-browser half of scripts/bench-storage.mjs: drives a run store (`./store.js`, the current
// one, or `./store-before.js`, the one it replaced) the way the page does, and measures what it
// hands to IndexedDB and how long the page's start-up reads take. Served from a scratch folder.

let written = 0;
// Bytes handed to IndexedDB: blobs by their length, records by their JSON length (a proxy for
// the structured clone the browser stores).
const sizeOf = (value) => (value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? value.byteLength : JSON.stringify(value).length);
for (const method of ['put', 'add']) {
  const original = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function counted(value, key) {
    written += sizeOf(value);
    return original.call(this, value, key);
  };
}

const useStore = (which) => import(which === 'before' ? './store-before.js' : './store.js');

const STAT_FIELDS = ['pre_mean', 'pre_std', 'act_mean', 'act_std', 'saturated', 'dead', 'grad_norm', 'unit_spread'];
const CONFIG = {
  model: { input_dim: 3072, classes: 10, depth: 20, width: 100, activation: 'elu', kernel_init: { kind: 'he-normal' }, output_init: { kind: 'glorot-uniform' }, bias_init: 0, batch_norm: false, input_batch_norm: false, dropout: null },
  train: { lr: 5e-5, schedule: { kind: 'constant' }, optimizer: { kind: 'nadam' }, batch_size: 32, max_epochs: 100, patience: 20, seed: 0, l1: 0, readback_every: 25, probe_every: 100, probe_size: 256, max_train_records: 0 },
  preprocessing: 'scale',
};

/** Deterministic pseudo-random floats, so that both stores store the same numbers. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return Math.fround((s >>> 0) / 2 ** 32);
  };
}

/** The events of epoch `e` of a run shaped by `shape`, appended to `run` one progress chunk at a time. */
function* epochEvents(run, e, shape, rand) {
  for (let p = 0; p < shape.progressPerEpoch; p++) {
    const step = ((e - 1) * shape.progressPerEpoch + p + 1) * CONFIG.train.readback_every;
    run.progress = { epoch: e, step_in_epoch: (p + 1) * 25, steps_in_epoch: shape.progressPerEpoch * 25, step, loss: 2.3 * rand(), lr: 5e-5, samples_per_s: 800 * rand(), epoch_complete: false };
    run.history.steps.push({ step, epoch: e, loss: 2.3 * rand() });
    if (p % shape.probeEvery === 0) {
      const stats = Object.fromEntries(STAT_FIELDS.map((f) => [f, Array.from({ length: shape.layers }, rand)]));
      run.history.probes.push({ step, epoch: e - 1 + p / shape.progressPerEpoch, stats });
    }
    yield p;
  }
  run.history.epochs.push({ epoch: e, train_loss: rand(), train_accuracy: rand(), val_loss: rand(), val_accuracy: rand(), lr: 5e-5, samples: 45000, train_seconds: 60 * rand(), seconds: 65 * rand(), samples_per_s: 750 * rand() });
  run.history.best_epoch = e;
  run.summary = { best_epoch: e, best_val_loss: rand(), patience_left: 20, finished: false };
}

function makeRun(newRun, id, name) {
  return newRun({ id, name, variant: 'elu-he', modified: [], config: CONFIG, dataset: 'cifar10', backend: 'cpu', lrFinder: null });
}

/**
 * One live run, saved as the page saves it: `store.schedule` at every progress chunk, a flush every
 * `flushEvery` chunks (the 1.5 s timer), `store.save` at each epoch's end; then the run's end, when
 * the worker sends the whole history. Returns the bytes written during each epoch and at the end.
 */
export async function liveRun(which, shape) {
  const { RunStore, newRun } = await useStore(which);
  const store = await RunStore.open();
  const run = makeRun(newRun, `live-${which}`, 'live');
  const rand = random(7);
  await store.save(run);
  const perEpoch = [];
  for (let e = 1; e <= shape.epochs; e++) {
    const before = written;
    for (const p of epochEvents(run, e, shape, rand)) {
      store.schedule(run);
      if ((p + 1) % shape.flushEvery === 0) await store.flush();
    }
    await store.save(run);
    perEpoch.push(written - before);
  }
  const before = written;
  run.history = structuredClone(run.history);
  run.status = 'finished';
  await store.save(run);
  return { perEpoch, finish: written - before, steps: run.history.steps.length, probes: run.history.probes.length };
}

/** Stores `count` finished runs of `epochs` epochs with `store` (`which`), as training them would have. */
export async function populate(which, count, shape) {
  const { RunStore, newRun } = await useStore(which);
  const store = await RunStore.open();
  for (let i = 0; i < count; i++) {
    const run = makeRun(newRun, `stored-${String(i).padStart(4, '0')}`, `stored #${i}`);
    run.created += i;
    const rand = random(i + 1);
    for (let e = 1; e <= shape.epochs; e++) for (const _ of epochEvents(run, e, shape, rand));
    run.status = 'finished';
    await store.save(run);
  }
  return { count };
}

/**
 * What the page does at start-up with its store: open (a migration, the first time a newer store
 * opens an older database), mark cut-off runs, list the runs, read the lessons' findings, and
 * read the history of the run it shows (the latest).
 */
export async function startUp(which) {
  const t0 = performance.now();
  const { RunStore } = await useStore(which);
  const store = await RunStore.open();
  const opened = performance.now();
  await store.markInterrupted(new Set());
  const runs = await store.list();
  await store.listLessons();
  const latest = runs.at(-1);
  await store.loadHistory?.(latest);
  const ms = performance.now() - t0;
  // Held, as the page holds them, while the heap is measured.
  globalThis.keptRuns = runs;
  globalThis.gc?.();
  return {
    ms,
    openMs: opened - t0,
    runs: runs.length,
    epochs: runs.reduce((n, r) => n + r.history.epochs.length, 0),
    latest: { steps: latest.history.steps.length, probes: latest.history.probes.length, epochs: latest.history.epochs.length },
    heapMb: performance.memory ? performance.memory.usedJSHeapSize / 2 ** 20 : null,
  };
}
