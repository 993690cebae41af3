// The signal-propagation preview of the Run form's settings (crate/src/preview.rs), computed by
// the worker. Asked for a short quiet time after the settings that shape it last changed; only
// the latest request counts (the worker answers older ones as superseded, and a stale answer is
// dropped here), and the preview it replaces stays on view, faded, for comparison.
import { Request } from '../io/protocol.js';

/** Quiet time after an edit: typing "100" asks once, not three times. */
const DEBOUNCE_MS = 150;

/** What the preview depends on: the model, preprocessing, seed, the data (its validation records: the probe batch) and the backend. */
function previewKey(state, { model, train, preprocessing }) {
  const valid = state.data.worker?.loaded?.[1] ?? 0;
  return JSON.stringify([model, preprocessing, train.seed, valid, state.data.worker?.dataset, state.backend.active]);
}

export function createPreview({ state, client, invalidate }) {
  let timer = 0;
  let latest = 0;
  let lastKey = null;

  async function compute(config, mine) {
    const started = performance.now();
    let answer;
    try {
      answer = await client.request(Request.PREVIEW, { run: config });
    } catch (error) {
      answer = { error: error.message };
    }
    if (mine !== latest || answer.superseded) return;
    const preview = state.preview;
    preview.pending = false;
    if (answer.error) {
      preview.error = answer.error;
    } else {
      preview.previous = preview.current;
      preview.current = { config, result: answer.preview, seconds: (performance.now() - started) / 1000 };
      preview.error = null;
      preview.updates += 1;
    }
    invalidate();
  }

  return {
    /** Asks for the preview of `config` (`{model, train, preprocessing}`) unless it is on view or asked for already. */
    request(config) {
      if (state.backend.status !== 'ready' || !(state.data.worker?.loaded?.[1] > 0)) return;
      const key = previewKey(state, config);
      if (key === lastKey) return;
      lastKey = key;
      const mine = ++latest;
      state.preview.pending = true;
      state.preview.requested = Date.now();
      clearTimeout(timer);
      timer = setTimeout(() => compute(config, mine), DEBOUNCE_MS);
    },
  };
}
