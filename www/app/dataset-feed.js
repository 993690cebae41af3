// The dataset's way into the worker: io/data-loader.js fetches and verifies the files, this module
// records their progress in the state and hands them to the worker (held back until it is ready).
import { loadDataset, loadingOrder, DatasetError } from '../io/data-loader.js';
import { Request } from '../io/protocol.js';
import { freshDataState } from './state.js';

// On a metered connection or a small screen, the download waits for a yes: the dataset panel
// states its size from the manifest. A yes is remembered per dataset.
const CONSENT_KEY = 'selfnorm-download-ok';

function consented() {
  try {
    return JSON.parse(localStorage.getItem(CONSENT_KEY) ?? '[]');
  } catch {
    return [];
  }
}

function downloadNeedsConsent(name) {
  const c = navigator.connection;
  const metered = Boolean(c?.saveData) || ['slow-2g', '2g', '3g'].includes(c?.effectiveType);
  return (metered || matchMedia('(max-width: 700px)').matches) && !consented().includes(name);
}

// What the page trains on while CIFAR-10 is not there yet: the crate's synthetic set (CIFAR-10's
// shape and classes), enough for the preview and the lessons.
const SYNTHETIC = { train: 2_000, valid: 500, test: 500, seed: 0 };

/** Datasets the page can make itself from an archive, so that having none is a state, not a fault. */
const MADE_IN_PAGE = new Set(['cifar10']);

/**
 * `onAbsent()`: the host and the browser have no copy of a dataset the page can make (the
 * archive module then looks for the archive, or welcomes the user).
 */
export function createDatasetFeed({ state, client, notices, invalidate }, { onAbsent = () => {} } = {}) {
  let generation = 0;
  let abort = null;
  let held = [];

  /** Sends a file to the worker; its failure is the dataset's (a shard the worker rejects). */
  function send(type, fields, transfer) {
    client.request(type, fields, transfer).then((status) => {
      if (status) state.data.worker = status;
      invalidate();
    }, (error) => {
      if (error.kind === 'restarted') return;
      state.data.status = 'error';
      state.data.error = { message: `The training worker rejected the dataset: ${error.message}`, hint: null, file: null };
      abort?.abort();
      invalidate();
    });
  }

  function deliver(type, fields, transfer) {
    if (state.backend.status === 'ready') send(type, fields, transfer);
    else held.push([type, fields, transfer]);
  }

  function onFile(file, { source, buffer, seconds }, manifestText) {
    const entry = state.data.files.find((f) => f.file === file.file);
    Object.assign(entry, { loaded: file.bytes, source, status: 'verified', seconds });
    if (file.kind === 'stats') deliver(Request.DATASET, { manifest: manifestText, stats: buffer }, [buffer]);
    else deliver(Request.SHARD, { split: file.split, index: file.index, bytes: buffer }, [buffer]);
  }

  /** Resolves once the user said yes to downloading `bytes` in `files` files (at once where no yes is needed). */
  function askConsent(name, bytes, files, signal) {
    if (!downloadNeedsConsent(name)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      state.data.consent = { bytes, files, resolve };
      signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      invalidate();
    });
  }

  async function downloadConsent(name, signal) {
    if (!downloadNeedsConsent(name)) return;
    let files;
    try {
      const response = await fetch(`data/${name}/manifest.json`, { signal, cache: 'no-cache' });
      files = loadingOrder(await response.json());
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      return; // loadDataset reports a missing or broken manifest
    }
    await askConsent(name, files.reduce((a, f) => a + f.bytes, 0), files.length, signal);
  }

  function onFailure(error) {
    if (error instanceof DatasetError && error.absent && MADE_IN_PAGE.has(state.data.name)) {
      state.data.status = 'absent';
      onAbsent();
      return;
    }
    state.data.status = 'error';
    const entry = state.data.files.find((f) => f.file === error.file);
    if (entry) entry.status = 'failed';
    state.data.error = error instanceof DatasetError
      ? { message: error.message, hint: error.hint, file: error.file }
      : { message: `Loading the dataset failed: ${error.message}`, hint: null, file: null };
    notices.show(state.data.error.message, { hint: state.data.error.hint, during: 'dataset' });
  }

  return {
    /** (Re)loads the dataset named in the page's address; earlier loads are abandoned. */
    start() {
      abort?.abort();
      held = [];
      const mine = ++generation;
      const controller = new AbortController();
      abort = controller;
      state.data = freshDataState();
      if (state.data.error) {
        notices.show(state.data.error.message, { during: 'dataset' });
        return;
      }
      const current = (f) => (...args) => {
        if (mine !== generation) return;
        f(...args);
        invalidate();
      };
      let manifestText = null;
      downloadConsent(state.data.name, controller.signal).then(() => loadDataset(state.data.name, {
        signal: controller.signal,
        onManifest: current(({ manifest, text, files }) => {
          manifestText = text;
          state.data.manifest = manifest;
          state.data.files = files.map((f) => ({ ...f, loaded: 0, source: null, status: 'waiting' }));
        }),
        onProgress: current((file, loaded) => {
          const entry = state.data.files.find((f) => f.file === file.file);
          if (entry) Object.assign(entry, { loaded, status: 'loading' });
        }),
        onFile: current((file, loaded) => onFile(file, loaded, manifestText)),
        onNotice: current((text) => state.data.notices.push(text)),
      })).then(current(() => {
        state.data.status = 'complete';
        state.data.seconds = (performance.now() - state.data.startedAt) / 1000;
      }), current((error) => {
        if (error.name !== 'AbortError') onFailure(error);
      }));
    },

    askConsent,

    /** No dataset yet: the synthetic set in the worker, so that the preview and the lessons work. */
    useSynthetic() {
      state.data.name = 'synthetic';
      deliver(Request.SYNTHETIC, SYNTHETIC, []);
      invalidate();
    },

    /** The user's yes to the dataset download the panel asked about. */
    confirmDownload() {
      const consent = state.data.consent;
      if (!consent) return;
      state.data.consent = null;
      try {
        localStorage.setItem(CONSENT_KEY, JSON.stringify([...consented(), state.data.name]));
      } catch {
        // Asked again next time.
      }
      consent.resolve();
      invalidate();
    },

    /** The worker is ready: send what was held back for it. */
    flush() {
      const files = held;
      held = [];
      for (const [type, fields, transfer] of files) send(type, fields, transfer);
    },
  };
}
