// The dataset made in the page from the official archive (io/dataset-archive.js converts it in a
// worker of its own), then loaded in place of the current one. The archive comes from the user (a
// picked or dropped file) or, with no click, from a host: `?archive=URL`, or
// data/cifar-10-binary.tar.gz beside the site (where scripts/serve and scripts/build-site put it).
// Where there is none, the page welcomes the user and says how to get it.
import { convertInWorker } from '../io/dataset-archive.js';
import { DatasetError } from '../io/data-loader.js';
import { httpAddress, fileNameOf } from '../io/address.js';

/** Where a host offers the official archive beside the site. */
export const SITE_ARCHIVE = 'data/cifar-10-binary.tar.gz';

/** The archive named by `?archive=URL`, checked; null when there is none. */
export function archiveParam(search = location.search, base = location.href) {
  const value = new URLSearchParams(search).get('archive');
  if (!value) return null;
  const url = httpAddress(value, base);
  if (!url) {
    throw new DatasetError(`"${value}" is not an http(s) address of the CIFAR-10 archive (?archive=URL).`, {
      hint: 'Give the full address of cifar-10-binary.tar.gz on a host that allows CORS, or pick the file in the Dataset panel.',
    });
  }
  return url.href;
}

/** The size of the file at `url` if its host answers a HEAD request for it, else null. */
async function remoteSize(url) {
  try {
    const response = await fetch(url, { method: 'HEAD', cache: 'no-cache' });
    const bytes = Number(response.headers.get('Content-Length'));
    return response.ok && bytes > 0 ? bytes : null;
  } catch {
    return null;
  }
}

export function createArchive({ state, phase, notices, invalidate }, feed) {
  /** Whether no run or lesson uses the dataset now, so that another may replace it. */
  const replaceable = () => phase.is('idle', 'starting', 'failed') && !state.lessons.active;

  /** Converts `source` (`{files}` or `{url}`), then loads the dataset it made. */
  async function convert(source, names) {
    const conversion = { status: 'running', files: names, url: source.url ?? null, startedAt: Date.now(), progress: null, notices: [], error: null, name: null, seconds: null, deferred: false };
    state.conversion = conversion;
    invalidate();
    try {
      const { name, seconds } = await convertInWorker(source, {
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
      if (state.data.status === 'absent') feed.useSynthetic();
    }
    invalidate();
  }

  return {
    /** Whether the page may convert an archive now (not while one converts or a run or lesson goes on). */
    canConvert() {
      return state.conversion?.status !== 'running' && replaceable();
    },

    /** Makes the dataset from the official file(s) picked, in the browser, then loads it. */
    convert(files) {
      if (!this.canConvert()) return;
      convert({ files }, Array.from(files, (f) => f.name));
    },

    /**
     * The dataset is nowhere yet: convert the archive a link or the host offers (after a yes on
     * a phone or a metered connection), else welcome the user with the synthetic set loaded.
     */
    async offer() {
      let linked = null;
      try {
        linked = archiveParam();
      } catch (error) {
        notices.show(error.message, { hint: error.hint, during: 'dataset' });
      }
      const url = linked ?? new URL(SITE_ARCHIVE, document.baseURI).href;
      state.data.seekingArchive = true;
      invalidate();
      const bytes = await remoteSize(url);
      state.data.seekingArchive = false;
      // A linked archive is tried even without an answer to HEAD: its download says what is wrong.
      if ((!linked && !bytes) || !this.canConvert()) {
        feed.useSynthetic();
        return;
      }
      if (bytes) await feed.askConsent(state.data.name, bytes, 1);
      convert({ url }, [fileNameOf(url)]);
    },
  };
}
