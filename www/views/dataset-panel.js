// The dataset as it streams in: overall and per-file progress (bytes fetched and verified, or
// read from the browser cache), what the worker holds per split, and whether training can start.
import { h, setText, fmtBytes, fmtInt, fmtDuration } from './format.js';
import { createArchiveImport } from './archive-import.js';
import { createDatasetWelcome } from './dataset-welcome.js';

const SPLIT_LABEL = { train: 'train', valid: 'valid', test: 'test' };

export function createDatasetPanel(container, app) {
  const title = h('h2', {}, 'Dataset');
  const name = h('span', { class: 'dataset-name', 'data-testid': 'dataset-name' });
  const overallBar = h('progress', { max: 1, value: 0, 'data-testid': 'dataset-overall', 'aria-label': 'Dataset download' });
  const overallText = h('div', { class: 'dataset-overall-text' });
  const ready = h('div', { class: 'dataset-ready', 'data-testid': 'dataset-ready' });
  const cacheNotice = h('div', { class: 'dataset-cache', 'data-testid': 'cache-notice', hidden: true });
  const errorBox = h('div', { class: 'dataset-error', 'data-testid': 'dataset-error', hidden: true });
  const notices = h('div', { class: 'dataset-notices' });
  const splits = h('div', { class: 'dataset-splits', 'data-testid': 'dataset-splits' });
  const list = h('ol', { class: 'shard-list', 'data-testid': 'shard-list' });
  const details = h('details', { class: 'shard-details' }, h('summary', {}, 'Files'), list);
  const consentText = h('span', { 'data-testid': 'consent-text' });
  const consent = h('div', { class: 'dataset-consent', 'data-testid': 'dataset-consent', hidden: true }, consentText,
    h('button', { id: 'btn-download', class: 'btn btn-primary', type: 'button', onclick: () => app.confirmDownload() }, 'Download it'));
  const welcome = createDatasetWelcome();
  const loading = h('div', { class: 'dataset-loading' }, overallBar, overallText, ready, cacheNotice, errorBox, notices, splits, details);
  container.append(h('div', { class: 'panel-head' }, title, name), welcome.intro, consent, loading);
  const archive = createArchiveImport(container, app);
  container.append(welcome.ways);
  let rows = new Map();
  let filesKey = '';
  let lastStatus = null;

  return function update(state) {
    archive(state);
    welcome.update(state);
    const data = state.data;
    const absent = data.status === 'absent';
    container.dataset.absent = String(absent);
    loading.hidden = absent;
    setText(name, absent ? 'cifar10' : data.name);
    consent.hidden = !data.consent;
    container.dataset.consent = String(Boolean(data.consent));
    if (data.consent) {
      const what = data.consent.files === 1 ? `The dataset's archive is ${fmtBytes(data.consent.bytes)} (converted here once downloaded)` : `The dataset is ${fmtBytes(data.consent.bytes)} in ${data.consent.files} files`;
      setText(consentText, `${what}. On a metered connection or a phone, download it now? It stays in this browser's cache for the next visits.`);
    }
    // The file list is folded (its rows would push the panel down as they arrive), and opens on a failure.
    if (data.status !== lastStatus) {
      lastStatus = data.status;
      details.open = data.status === 'error';
    }
    const files = data.files;
    const key = files.map((f) => f.file).join('|');
    if (key !== filesKey) {
      filesKey = key;
      rows = new Map();
      list.replaceChildren(...files.map((f) => {
        const bar = h('progress', { max: f.bytes, value: 0 });
        const status = h('span', { class: 'shard-status' });
        const row = h('li', { class: 'shard', 'data-file': f.file },
          h('span', { class: 'shard-name' }, f.file),
          h('span', { class: 'shard-split' }, f.kind === 'stats' ? 'stats' : SPLIT_LABEL[f.split]),
          bar, status);
        rows.set(f.file, { row, bar, status });
        return row;
      }));
    }
    let total = 0;
    let loaded = 0;
    for (const f of files) {
      total += f.bytes;
      loaded += f.loaded;
      const r = rows.get(f.file);
      if (!r) continue;
      r.bar.value = f.loaded;
      r.row.dataset.status = f.status;
      let text = 'waiting';
      if (f.status === 'loading') text = `${Math.floor((100 * f.loaded) / f.bytes)} %`;
      if (f.status === 'verified') text = f.source === 'cache' ? 'cache ✓' : `${fmtBytes(f.bytes)} ✓`;
      if (f.status === 'failed') text = 'failed';
      setText(r.status, text);
    }
    overallBar.max = Math.max(total, 1);
    overallBar.value = loaded;
    const verified = files.filter((f) => f.status === 'verified').length;
    if (data.status === 'error' && !files.length) setText(overallText, 'Not loaded.');
    else if (data.consent) setText(overallText, 'Not downloaded yet.');
    else if (!files.length) setText(overallText, 'Reading the manifest…');
    else if (data.status === 'complete') setText(overallText, `${verified} of ${files.length} files verified (${fmtBytes(total)}) in ${fmtDuration(data.seconds)}.`);
    else setText(overallText, `${fmtBytes(loaded)} of ${fmtBytes(total)} · ${verified} of ${files.length} files verified (size + SHA-256)`);

    const fromCache = files.filter((f) => f.source === 'cache').length;
    cacheNotice.hidden = fromCache === 0;
    if (fromCache) {
      // Only what happened: files fetched from the network are counted, not assumed.
      const downloaded = files.filter((f) => f.status === 'verified' && f.source !== 'cache').length;
      const coming = files.filter((f) => f.status === 'loading').length;
      setText(cacheNotice, fromCache === files.length
        ? `All ${files.length} files came from the browser cache (checked against the manifest's SHA-256): nothing was downloaded.`
        : `${fromCache} of ${files.length} files came from the browser cache${downloaded ? `, ${downloaded} were downloaded` : ''}${coming ? `, ${coming} are downloading` : ''}.`);
    }

    errorBox.hidden = !data.error;
    if (data.error) setText(errorBox, data.error.hint ? `${data.error.message} ${data.error.hint}` : data.error.message);
    const noticeText = data.notices.join(' ');
    if (notices.textContent !== noticeText) notices.textContent = noticeText;

    const ws = data.worker;
    if (ws) {
      const names = ['train', 'valid', 'test'];
      const key2 = ws.loaded.join(',') + ws.expected.join(',');
      if (splits.dataset.key !== key2) {
        splits.dataset.key = key2;
        splits.replaceChildren(...names.map((n, i) => h('div', { class: `split-chip${ws.loaded[i] === ws.expected[i] ? ' is-full' : ''}` },
          h('span', { class: 'split-name' }, n), `${fmtInt(ws.loaded[i])} / ${fmtInt(ws.expected[i])}`)));
      }
    } else if (splits.childElementCount) {
      splits.replaceChildren();
      splits.dataset.key = '';
    }
    const readyNow = Boolean(ws?.ready_to_train) && !absent;
    container.dataset.ready = String(readyNow);
    if (data.status === 'error') setText(ready, 'Training is unavailable until the dataset loads.');
    else if (readyNow && data.status === 'complete') setText(ready, `Ready: ${ws.dataset}, ${ws.classes.length} classes, images ${ws.image_shape.join('×')}.`);
    else if (readyNow) setText(ready, 'Ready to train; the remaining shards join as they arrive.');
    else if (state.backend.status !== 'ready') setText(ready, 'Waiting for the training worker…');
    else setText(ready, 'Training can start once the statistics, validation and first training shard are in.');
    ready.dataset.ready = String(readyNow);
  };
}
