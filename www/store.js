// Run persistence in IndexedDB (DESIGN decision 9: nothing is lost on reload). Three object
// stores: `runs` (config, status, history, results: everything but the weights), `weights` (the
// best weights of a finished run, as bytes, keyed by run id) and `lessons` (the last finding of
// each lesson, keyed by the lesson's name). Runs are saved as events arrive,
// throttled; on load, a run still marked running or paused was cut off by the reload and becomes
// `interrupted`, its history kept. Runs can be exported to a JSON file and imported back.

const DB_NAME = 'selfnorm';
const DB_VERSION = 2;
const SAVE_INTERVAL_MS = 1500;
export const RUN_FILE_FORMAT = 'selfnorm-run';
const RUN_FILE_VERSION = 1;
export const STATUSES = ['running', 'paused', 'finished', 'interrupted', 'failed', 'diverged'];

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights', { keyPath: 'runId' });
      if (!db.objectStoreNames.contains('lessons')) db.createObjectStore('lessons', { keyPath: 'name' });
    };
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

export class RunStore {
  constructor(db) {
    this.db = db;
    this.pending = new Map();
    this.timer = null;
    this.onError = () => {};
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

  async list() {
    const runs = await promisify(this.tx('runs').objectStore('runs').getAll());
    return runs.sort((a, b) => a.created - b.created);
  }

  /**
   * Marks runs that a reload cut off as interrupted (except `alive`: ids of runs another tab is
   * still training); returns how many.
   */
  async markInterrupted(alive = new Set()) {
    const runs = await this.list();
    const cut = runs.filter((r) => (r.status === 'running' || r.status === 'paused') && !alive.has(r.id));
    for (const run of cut) {
      run.status = 'interrupted';
      run.error = run.error ?? 'The page was reloaded or closed while this run was training; its history up to then is kept.';
      await this.put(run);
    }
    return cut.length;
  }

  put(run) {
    this.pending.delete(run.id);
    run.updated = Date.now();
    const tx = this.tx('runs', 'readwrite');
    tx.objectStore('runs').put(run);
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the save was aborted'));
    });
  }

  /** Saves `run` within SAVE_INTERVAL_MS, coalescing the saves in between. */
  schedule(run) {
    this.pending.set(run.id, run);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), SAVE_INTERVAL_MS);
  }

  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const run of runs) {
      try {
        await this.put(run);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Saves `run` now (epoch ends, status changes). Errors go to `onError`, never thrown. */
  async save(run) {
    try {
      await this.put(run);
    } catch (error) {
      this.onError(error);
    }
  }

  async delete(id) {
    this.pending.delete(id);
    const tx = this.tx(['runs', 'weights'], 'readwrite');
    tx.objectStore('runs').delete(id);
    tx.objectStore('weights').delete(id);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }

  async putWeights(runId, bytes) {
    const tx = this.tx('weights', 'readwrite');
    tx.objectStore('weights').put({ runId, bytes });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the save was aborted'));
    });
  }

  /** The stored weights of run `runId` as an ArrayBuffer, or null. */
  async getWeights(runId) {
    const entry = await promisify(this.tx('weights').objectStore('weights').get(runId));
    return entry?.bytes ?? null;
  }

  /** Keeps `record` as the last finding of lesson `record.name`. */
  async putLesson(record) {
    const tx = this.tx('lessons', 'readwrite');
    tx.objectStore('lessons').put(record);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the save was aborted'));
    });
  }

  /** The last finding of every lesson run in this browser. */
  listLessons() {
    return promisify(this.tx('lessons').objectStore('lessons').getAll());
  }
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes.buffer;
}

/** The text of a run file: config, history (with the per-layer statistics), results, weights. */
export function exportRunFile(run, weights) {
  return JSON.stringify({
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    exported: new Date().toISOString(),
    run,
    weights: weights ? { encoding: 'base64', format: 'SNW1', bytes: toBase64(weights) } : null,
  });
}

/**
 * Reads a run file; returns `{run, weights}` with a new id (so importing twice, or importing a
 * run this browser already has, never overwrites anything). Throws an Error a user can act on.
 */
export function parseRunFile(text, fileName, newId) {
  let file;
  try {
    file = JSON.parse(text);
  } catch (error) {
    throw new Error(`${fileName} is not a selfnorm run file (not JSON: ${error.message}).`);
  }
  if (file?.format !== RUN_FILE_FORMAT) throw new Error(`${fileName} is not a selfnorm run file (format ${JSON.stringify(file?.format)}, expected "${RUN_FILE_FORMAT}").`);
  if (file.version !== RUN_FILE_VERSION) throw new Error(`${fileName} has run file version ${file.version}; this page reads version ${RUN_FILE_VERSION}.`);
  const run = file.run;
  const history = run?.history;
  if (!run?.config?.model || !run.config.train || !history || !Array.isArray(history.epochs) || !Array.isArray(history.steps) || !Array.isArray(history.probes)) {
    throw new Error(`${fileName} lacks the run's config or history; it cannot be shown.`);
  }
  let weights = null;
  if (file.weights) {
    try {
      weights = fromBase64(file.weights.bytes);
    } catch {
      throw new Error(`${fileName}: the weights are not valid base64.`);
    }
  }
  const status = STATUSES.includes(run.status) ? run.status : 'finished';
  return {
    run: {
      ...newRunDefaults(),
      ...run,
      id: newId,
      originalId: run.id,
      status: status === 'running' || status === 'paused' ? 'interrupted' : status,
      imported: true,
      importedFrom: fileName,
      hasWeights: Boolean(weights),
    },
    weights,
  };
}

function newRunDefaults() {
  return { modified: [], results: { valid: null, test: null, mc: null }, timings: {}, info: null, summary: null, progress: null, lrFinder: null, error: null };
}
