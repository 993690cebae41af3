// Run persistence in IndexedDB: nothing is lost on reload, and storage stays small and fast over
// hundreds of runs.
//
// Object stores:
// - `runs`: one small summary per run (config, status, results, best epoch, counts), rewritten
//   as the run changes; never its history.
// - `epochs` and `series`: the history, appended in chunks (`{runId, kind, start, items}`), so a
//   save writes only what arrived since the last one; the epoch records of every run are read at
//   start-up (the runs table and the curves' overlays need them), the steps and probes of a run
//   only when it is viewed (`loadHistory`).
// - `weights`: the best weights of a run (one blob), `lessons`: the last finding of each lesson.
//
// Saves are throttled and coalesced. When the browser refuses a write for lack of space
// (`QuotaExceededError`), nothing is dropped: the run stays in memory, `onQuota(true)` tells the
// page, and the write is retried until it lands (`onQuota(false)`) — sooner after a delete.
// On load, a run still marked running or paused was cut off by the reload and becomes
// `interrupted`, its history kept. Databases of version 2 (whole runs in one record) are split
// into this layout when first opened.

import { KINDS, storeOf, promisify, done, chunkRange, byteSize, chunksOf, assemble, summaryRecord, fromSummary, emptyStored, upgrade } from './store-layout.js';

const DB_NAME = 'selfnorm';
const DB_VERSION = 3;
const SAVE_INTERVAL_MS = 1500;
const RETRY_WHEN_FULL_MS = 5000;
const KEEP_LESSON_WEIGHTS_KEY = 'selfnorm.keepLessonWeights';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, request.transaction, event.oldVersion);
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the page opened in another tab: let it upgrade the database.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('the run database is open in an older version of this page in another tab; close that tab'));
  });
}

/** A fresh run record. */
export function newRun({ id, name, variant, modified, config, dataset, backend, lrFinder }) {
  const now = Date.now();
  return {
    id,
    name,
    variant,
    modified: modified ?? [],
    config,
    dataset,
    backend,
    status: 'running',
    created: now,
    updated: now,
    info: null,
    history: { epochs: [], steps: [], probes: [], best_epoch: 0, stop: null },
    historyLoaded: true,
    summary: null,
    progress: null,
    lrFinder: lrFinder ?? null,
    results: { valid: null, test: null, mc: null },
    timings: { started: now, finished: null, finishSeconds: null },
    error: null,
    imported: false,
    hasWeights: false,
  };
}

export const isQuota = (error) => error?.name === 'QuotaExceededError' || /quota/i.test(error?.message ?? '');

export class RunStore {
  constructor(db) {
    this.db = db;
    this.pending = new Map();
    this.timer = null;
    // Per run: what of its history is stored (`saved` counts, the start of the last chunk and
    // the last item written, to notice a replaced item) and the bytes it takes.
    this.saved = new Map();
    this.unsavedWeights = new Map();
    this.full = false;
    this.onError = () => {};
    this.onQuota = () => {};
  }

  /** Opens the database; resolves to null (and the page runs without persistence) if it cannot. */
  static async open() {
    if (!('indexedDB' in self)) return null;
    try {
      return new RunStore(await openDb());
    } catch {
      return null;
    }
  }

  tx(stores, mode = 'readonly') {
    return this.db.transaction(stores, mode);
  }

  /** Every run's summary and epochs, oldest first; steps and probes come with `loadHistory`. */
  async list() {
    const tx = this.tx(['runs', 'epochs', 'weights']);
    const [records, epochChunks, weightKeys] = await Promise.all([
      promisify(tx.objectStore('runs').getAll()),
      promisify(tx.objectStore('epochs').getAll()),
      promisify(tx.objectStore('weights').getAllKeys()),
    ]);
    const byRun = new Map();
    for (const chunk of epochChunks) (byRun.get(chunk.runId) ?? byRun.set(chunk.runId, []).get(chunk.runId)).push(chunk);
    const withWeights = new Set(weightKeys);
    const runs = records.map((record) => {
      const run = fromSummary(record);
      run.history.epochs = assemble(byRun.get(run.id) ?? []);
      run.hasWeights = withWeights.has(run.id);
      this.track(run, record.stored);
      return run;
    });
    return runs.sort((a, b) => a.created - b.created);
  }

  /** Reads the steps and probes of `run` (listed by `list`) into its history; idempotent. */
  async loadHistory(run) {
    if (run.historyLoaded !== false) return;
    const tx = this.tx('series');
    const [steps, probes] = await Promise.all(['steps', 'probes'].map((kind) => promisify(tx.objectStore('series').getAll(chunkRange(run.id, kind)))));
    if (run.historyLoaded !== false) return;
    run.history.steps.push(...assemble(steps));
    run.history.probes.push(...assemble(probes));
    run.historyLoaded = true;
    const saved = this.saved.get(run.id);
    if (saved) for (const kind of ['steps', 'probes']) saved.last[kind] = run.history[kind][saved.counts[kind] - 1];
  }

  track(run, stored) {
    const last = Object.fromEntries(KINDS.map((kind) => [kind, run.history[kind][stored.counts[kind] - 1]]));
    this.saved.set(run.id, { history: run.history, last, ...structuredClone(stored) });
  }

  /**
   * Marks runs that a reload cut off as interrupted (except `alive`: ids of runs another tab is
   * still training); returns how many.
   */
  async markInterrupted(alive = new Set()) {
    const tx = this.tx('runs', 'readwrite');
    let cut = 0;
    tx.objectStore('runs').openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      const run = cursor.value;
      if ((run.status === 'running' || run.status === 'paused') && !alive.has(run.id)) {
        run.status = 'interrupted';
        run.error = run.error ?? 'The page was reloaded or closed while this run was training; its history up to then is kept.';
        cursor.update(run);
        cut++;
      }
      cursor.continue();
    };
    await done(tx);
    return cut;
  }

  /** Writes what changed in `run` since its last save: the summary and the new history chunks. */
  put(run) {
    this.pending.delete(run.id);
    run.updated = Date.now();
    const tx = this.tx(['runs', 'epochs', 'series'], 'readwrite');
    const next = this.writeHistory(tx, run);
    tx.objectStore('runs').put(summaryRecord(run, next));
    return done(tx).then(() => this.saved.set(run.id, next));
  }

  /** Queues the history chunks of `run` that are not stored yet; returns the state once written. */
  writeHistory(tx, run) {
    let saved = this.saved.get(run.id);
    const replaced = saved && saved.history !== run.history;
    if (!saved || replaced) {
      // A new run, or a history the worker sent whole (at a run's end): written from scratch.
      if (replaced) run.historyLoaded = true;
      if (replaced) for (const kind of KINDS) tx.objectStore(storeOf(kind)).delete(chunkRange(run.id, kind));
      saved = { history: run.history, last: {}, ...emptyStored(), bytes: { history: 0, weights: saved?.bytes.weights ?? 0 } };
    }
    const next = { history: run.history, counts: { ...saved.counts }, last: { ...saved.last }, lastStart: { ...saved.lastStart }, bytes: { ...saved.bytes } };
    for (const kind of KINDS) {
      if (kind !== 'epochs' && run.historyLoaded === false) continue;
      const items = run.history[kind];
      const count = saved.counts[kind];
      let start = count;
      if (items.length < count) {
        tx.objectStore(storeOf(kind)).delete(chunkRange(run.id, kind));
        start = 0;
      } else if (count > 0 && items[count - 1] !== saved.last[kind]) {
        // The last item was replaced in place (a probe taken again at the same step).
        start = saved.lastStart[kind] ?? 0;
      }
      if (start === items.length && items.length === count) continue;
      for (const chunk of chunksOf(run.id, kind, items, start)) {
        tx.objectStore(storeOf(kind)).put(chunk);
        next.bytes.history += byteSize(chunk.items);
        next.lastStart[kind] = chunk.start;
      }
      next.counts[kind] = items.length;
      next.last[kind] = items.at(-1);
    }
    return next;
  }

  /** Saves `run` within SAVE_INTERVAL_MS, coalescing the saves in between. */
  schedule(run) {
    this.pending.set(run.id, run);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.full ? RETRY_WHEN_FULL_MS : SAVE_INTERVAL_MS);
  }

  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const run of runs) await this.save(run);
    for (const [runId, bytes] of [...this.unsavedWeights]) {
      try {
        await this.putWeights(runId, bytes);
      } catch {
        // Still no room: kept for the next retry.
      }
    }
  }

  /** Saves `run` now (epoch ends, status changes). Errors go to `onError`/`onQuota`, never thrown. */
  async save(run) {
    try {
      await this.put(run);
      this.setFull(false);
    } catch (error) {
      if (!isQuota(error)) {
        this.onError(error);
        return;
      }
      this.setFull(true, run);
      this.schedule(run);
    }
  }

  /** Tells the page when storage fills up (naming the run it could not save) and when it has room again. */
  setFull(full, run = null) {
    if (full === this.full) return;
    this.full = full;
    this.onQuota(full, run);
  }

  async delete(id) {
    this.pending.delete(id);
    this.saved.delete(id);
    this.unsavedWeights.delete(id);
    const tx = this.tx(['runs', 'weights', 'epochs', 'series'], 'readwrite');
    tx.objectStore('runs').delete(id);
    tx.objectStore('weights').delete(id);
    for (const kind of KINDS) tx.objectStore(storeOf(kind)).delete(chunkRange(id, kind));
    await done(tx);
    if (this.full) await this.flush();
  }

  /** Stores the best weights of run `runId`; a write refused for lack of space is retried later. */
  async putWeights(runId, bytes) {
    const tx = this.tx(['weights', 'runs'], 'readwrite');
    tx.objectStore('weights').put({ runId, bytes });
    this.recordWeightBytes(tx, runId, bytes.byteLength);
    try {
      await done(tx);
      this.unsavedWeights.delete(runId);
    } catch (error) {
      if (isQuota(error)) {
        this.unsavedWeights.set(runId, bytes);
        this.setFull(true);
        if (!this.timer) this.timer = setTimeout(() => this.flush(), RETRY_WHEN_FULL_MS);
      }
      throw error;
    }
  }

  /** The stored weights of run `runId` as an ArrayBuffer, or null. */
  async getWeights(runId) {
    if (this.unsavedWeights.has(runId)) return this.unsavedWeights.get(runId).slice(0);
    const entry = await promisify(this.tx('weights').objectStore('weights').get(runId));
    return entry?.bytes ?? null;
  }

  /** Deletes the stored weights of the runs `ids` (their history and results stay). */
  async deleteWeights(ids) {
    const tx = this.tx(['weights', 'runs'], 'readwrite');
    for (const id of ids) {
      this.unsavedWeights.delete(id);
      tx.objectStore('weights').delete(id);
      this.recordWeightBytes(tx, id, 0);
    }
    await done(tx);
    if (this.full) await this.flush();
  }

  /** Keeps the size of a run's weights in its summary (and in what later saves write). */
  recordWeightBytes(tx, runId, size) {
    const saved = this.saved.get(runId);
    if (saved) saved.bytes.weights = size;
    const runs = tx.objectStore('runs');
    runs.get(runId).onsuccess = (event) => {
      const record = event.target.result;
      if (!record) return;
      record.stored.bytes.weights = size;
      runs.put(record);
    };
  }

  /** Whether lesson runs keep their weights in storage (off by default: a lesson trains many). */
  get keepLessonWeights() {
    return self.localStorage?.getItem(KEEP_LESSON_WEIGHTS_KEY) === 'true';
  }

  set keepLessonWeights(keep) {
    self.localStorage?.setItem(KEEP_LESSON_WEIGHTS_KEY, String(Boolean(keep)));
  }

  /**
   * What selfnorm stores, from the runs' summaries: `{history, weights}` bytes per run id
   * (history as JSON, approximately), and the browser's own estimate of this site's usage and
   * quota when it gives one.
   */
  async usage() {
    const records = await promisify(this.tx('runs').objectStore('runs').getAll());
    const perRun = new Map(records.map((r) => [r.id, { ...(this.saved.get(r.id)?.bytes ?? r.stored.bytes) }]));
    const estimate = await navigator.storage?.estimate?.().catch(() => null);
    return { perRun, usage: estimate?.usage ?? null, quota: estimate?.quota ?? null };
  }

  /** Keeps `record` as the last finding of lesson `record.name`. */
  async putLesson(record) {
    const tx = this.tx('lessons', 'readwrite');
    tx.objectStore('lessons').put(record);
    await done(tx);
  }

  /** The last finding of every lesson run in this browser. */
  listLessons() {
    return promisify(this.tx('lessons').objectStore('lessons').getAll());
  }
}
