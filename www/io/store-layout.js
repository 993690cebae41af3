// The run store's layout in IndexedDB (see store.js): a run's history as appended chunks, its
// summary record, and the migration of version-2 databases (whole runs in one record) into it.

const CHUNK_ITEMS = 500;
export const KINDS = ['epochs', 'steps', 'probes'];
export const storeOf = (kind) => (kind === 'epochs' ? 'epochs' : 'series');

export function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the save was aborted'));
  });
}

/** The key range of one run's chunks of `kind`. */
export function chunkRange(runId, kind) {
  return kind === 'epochs'
    ? IDBKeyRange.bound([runId, 0], [runId, Infinity])
    : IDBKeyRange.bound([runId, kind, 0], [runId, kind, Infinity]);
}

export const byteSize = (value) => JSON.stringify(value)?.length ?? 0;

/** `items` as chunk records from index `start` on (at most CHUNK_ITEMS each). */
export function chunksOf(runId, kind, items, start = 0) {
  const out = [];
  for (let at = start; at < items.length; at += CHUNK_ITEMS) {
    out.push({ runId, kind, start: at, items: items.slice(at, Math.min(items.length, at + CHUNK_ITEMS)) });
  }
  return out;
}

/** Chunks back into one array: by position, so a chunk written twice (a retried save) is harmless. */
export function assemble(chunks) {
  const out = [];
  for (const chunk of chunks) chunk.items.forEach((item, i) => { out[chunk.start + i] = item; });
  return out;
}

/**
 * The summary record of `run`: everything but the history's arrays and the store's own flags,
 * with what is stored of it (`{counts, lastStart, bytes}`).
 */
export function summaryRecord(run, { counts, lastStart, bytes }) {
  const { history, historyLoaded, hasWeights, ...rest } = run;
  return { ...rest, history: { best_epoch: history.best_epoch, stop: history.stop ?? null }, stored: { counts, lastStart, bytes } };
}

/** A run from its summary: epochs filled in later, steps and probes on `loadHistory`. */
export function fromSummary(record) {
  const { stored, history, ...rest } = record;
  return {
    ...rest,
    history: { epochs: [], steps: [], probes: [], best_epoch: history.best_epoch, stop: history.stop },
    historyLoaded: !stored.counts.steps && !stored.counts.probes,
    hasWeights: false,
  };
}

export const emptyStored = () => ({ counts: { epochs: 0, steps: 0, probes: 0 }, lastStart: {}, bytes: { history: 0, weights: 0 } });

/** Splits a version-2 record (the whole run) into a summary and its chunks. */
function migrateRun(tx, run, weightBytes) {
  const history = run.history ?? {};
  const stored = emptyStored();
  stored.bytes.weights = weightBytes;
  for (const kind of KINDS) {
    const items = Array.isArray(history[kind]) ? history[kind] : [];
    stored.counts[kind] = items.length;
    for (const chunk of chunksOf(run.id, kind, items)) {
      stored.bytes.history += byteSize(chunk.items);
      stored.lastStart[kind] = chunk.start;
      tx.objectStore(storeOf(kind)).put(chunk);
    }
  }
  tx.objectStore('runs').put(summaryRecord({ ...run, history: { ...history, best_epoch: history.best_epoch ?? 0 } }, stored));
}

/** Calls `visit(cursor)` for each record of `store`, then `end()`. */
function eachRecord(store, visit, end) {
  store.openCursor().onsuccess = (event) => {
    const cursor = event.target.result;
    if (!cursor) return end();
    visit(cursor);
    cursor.continue();
  };
}

export function upgrade(db, tx, oldVersion) {
  if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' });
  if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights', { keyPath: 'runId' });
  if (!db.objectStoreNames.contains('lessons')) db.createObjectStore('lessons', { keyPath: 'name' });
  db.createObjectStore('epochs', { keyPath: ['runId', 'start'] });
  db.createObjectStore('series', { keyPath: ['runId', 'kind', 'start'] });
  if (oldVersion === 0) return;
  // The weights' sizes first (for the storage panel), then each run split up.
  const weightBytes = new Map();
  eachRecord(tx.objectStore('weights'), (c) => weightBytes.set(c.key, c.value.bytes?.byteLength ?? 0), () => {
    eachRecord(tx.objectStore('runs'), (c) => migrateRun(tx, c.value, weightBytes.get(c.key) ?? 0), () => {});
  });
}
