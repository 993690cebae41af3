// Runs kept in the browser (io/store.js) and the Web Locks that tell other tabs which runs this
// tab is training. Weights that cannot be stored stay in memory until the page closes.
import { RunStore, isQuota } from '../io/store.js';

// A tab holds a Web Lock named after each run it is training, so that a page opened meanwhile
// (another tab) does not mistake that run for one a reload cut off.
const LOCK_PREFIX = 'selfnorm-run:';

export function createPersistence({ state, notices, invalidate }) {
  let store = null;
  const memoryWeights = new Map();
  const runLocks = new Map();

  async function runsAliveElsewhere() {
    if (!navigator.locks?.query) return new Set();
    try {
      const { held = [] } = await navigator.locks.query();
      return new Set(held.map((l) => l.name).filter((n) => n?.startsWith(LOCK_PREFIX)).map((n) => n.slice(LOCK_PREFIX.length)));
    } catch (error) {
      notices.show(`This browser could not say which runs other tabs are training (${error.message}); runs still training there may be marked interrupted here.`, { kind: 'notice' });
      return new Set();
    }
  }

  return {
    async open() {
      store = await RunStore.open();
      state.persistent = Boolean(store);
      if (!store) {
        notices.show('This browser refused IndexedDB (private mode?), so runs are kept only until the page is closed.', { kind: 'notice' });
        return;
      }
      store.onError = (error) => notices.show(`A run could not be saved in the browser (${error?.message ?? error}). Export it to a file to keep it.`, { kind: 'notice' });
      store.onQuota = (full, run) => notices.show(full
        ? `The browser's storage for this page is full, so ${run ? `the latest history of ${run.name}` : 'the latest weights'} could not be saved: it is kept in memory${run?.status === 'running' ? ' while the run goes on training' : ''} and saved as soon as there is room. Free space under Storage: drop the weights of lesson runs, or delete old runs (export them first to keep a copy).`
        : 'The browser has room again: every run is saved.', { kind: 'notice' });
      state.interruptedOnLoad = await store.markInterrupted(await runsAliveElsewhere());
      state.runs = await store.list();
      try {
        for (const record of await store.listLessons()) state.lessons.records[record.name] = record;
      } catch (error) {
        notices.show(`The lessons' findings could not be read from the browser (${error?.message ?? error}).`, { kind: 'notice' });
      }
      state.viewRunId = state.runs.at(-1)?.id ?? null;
      await this.ensureHistory(state.runs.at(-1));
      invalidate();
    },

    /** Reads a stored run's steps and probes (start-up lists summaries and epochs only). */
    async ensureHistory(run) {
      if (!run || run.historyLoaded !== false || !store) return;
      try {
        await store.loadHistory(run);
      } catch (error) {
        notices.show(`The history of ${run.name} could not be read from the browser (${error?.message ?? error}).`);
      }
      invalidate();
    },

    holdLock(id) {
      if (!navigator.locks || runLocks.has(id)) return;
      navigator.locks.request(LOCK_PREFIX + id, () => new Promise((release) => runLocks.set(id, release))).catch((error) => {
        runLocks.delete(id);
        notices.show(`The browser refused the lock that marks this run as training in this tab (${error.message}); a page opened in another tab meanwhile may mark it interrupted.`, { kind: 'notice' });
      });
    },

    releaseLock(id) {
      runLocks.get(id)?.();
      runLocks.delete(id);
    },

    saveSoon(run) {
      store?.schedule(run);
    },

    saveNow(run) {
      return store?.save(run);
    },

    async putWeights(run, bytes) {
      // A lesson trains several runs: theirs stay in memory only, unless the user asked to keep them.
      if (store && !(run.lesson && !store.keepLessonWeights)) {
        try {
          await store.putWeights(run.id, bytes);
        } catch (error) {
          memoryWeights.set(run.id, bytes);
          // A full disk is the store's to report: it saves them once there is room.
          if (!isQuota(error)) notices.show(`The weights of ${run.name} could not be saved in the browser (${error.message}); they are kept until the page closes. Export the run to keep them.`, { kind: 'notice' });
        }
      } else {
        memoryWeights.set(run.id, bytes);
      }
      run.hasWeights = true;
      await this.saveNow(run);
      invalidate();
    },

    async getWeights(run) {
      if (memoryWeights.has(run.id)) return memoryWeights.get(run.id).slice(0);
      return store ? store.getWeights(run.id) : null;
    },

    /** What is stored (see RunStore.usage), or null without storage. */
    usage() {
      return store?.usage() ?? Promise.resolve(null);
    },

    /** Drops the stored weights of runs `ids`; their history and results stay. */
    async dropWeights(ids) {
      await store?.deleteWeights(ids);
      for (const id of ids) memoryWeights.delete(id);
    },

    get keepLessonWeights() {
      return Boolean(store?.keepLessonWeights);
    },

    set keepLessonWeights(keep) {
      if (store) store.keepLessonWeights = keep;
    },

    async putLesson(record) {
      await store?.putLesson(record);
    },

    async delete(id) {
      memoryWeights.delete(id);
      await store?.delete(id);
    },

    flush() {
      store?.flush();
    },
  };
}
