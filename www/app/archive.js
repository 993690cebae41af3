// The dataset made in the page from the official archive the user picked (dataset-archive.js
// converts it in a worker of its own), then loaded in place of the current one.
import { convertInWorker } from '../dataset-archive.js';

export function createArchive({ state, phase, notices, invalidate }, feed) {
  /** Whether no run or lesson uses the dataset now, so that another may replace it. */
  const replaceable = () => phase.is('idle', 'starting', 'failed') && !state.lessons.active;

  return {
    /** Whether the page may convert an archive now (not while one converts or a run or lesson goes on). */
    canConvert() {
      return state.conversion?.status !== 'running' && replaceable();
    },

    /** Makes the dataset from the official file(s) picked, in the browser, then loads it. */
    async convert(files) {
      if (!this.canConvert()) return;
      const conversion = { status: 'running', files: Array.from(files, (f) => f.name), startedAt: Date.now(), progress: null, notices: [], error: null, name: null, seconds: null, deferred: false };
      state.conversion = conversion;
      invalidate();
      try {
        const { name, seconds } = await convertInWorker(files, {
          onProgress(progress) {
            conversion.progress = progress;
            invalidate();
          },
          onNotice(text) {
            conversion.notices.push(text);
            invalidate();
          },
        });
        Object.assign(conversion, { status: 'done', name, seconds });
        const url = new URL(location.href);
        url.searchParams.delete('shards');
        if (name === 'cifar10') url.searchParams.delete('data');
        else url.searchParams.set('data', name);
        history.replaceState(null, '', url);
        // The dataset errors shown so far were about the dataset this one replaces.
        state.errors = state.errors.filter((e) => e.during !== 'dataset');
        // A run that started meanwhile keeps its dataset; the new one is used from the next load.
        if (replaceable()) feed.start();
        else conversion.deferred = true;
      } catch (error) {
        Object.assign(conversion, { status: 'error', error: { message: error.message, hint: error.hint ?? null, file: error.file ?? null } });
        notices.show(error.message, { hint: error.hint ?? null, during: 'dataset' });
      }
      invalidate();
    },
  };
}
