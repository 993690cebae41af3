// What selfnorm keeps in this browser (datasets, histories, best weights), how much of the
// browser's quota that is, the largest runs, and ways to free space: remove a dataset, drop the
// weights of lesson runs (a lesson trains several), keep lesson runs from storing theirs. Runs
// themselves are deleted from the runs table.
import { h, fmtBytes, setText } from './format.js';

const LARGEST = 5;

export function createStorage(container, app) {
  const summary = h('p', { 'data-testid': 'storage-summary' }, 'Measuring…');
  const largest = h('ol', { class: 'storage-largest', 'data-testid': 'storage-largest' });
  const datasets = h('ul', { class: 'storage-datasets', 'data-testid': 'storage-datasets' });
  const removed = h('p', { class: 'caption storage-removed', 'data-testid': 'storage-removed', role: 'status' });
  const dropLessons = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'drop-lesson-weights' }, 'Drop the weights of lesson runs');
  const keepLessons = h('input', { id: 'keep-lesson-weights', type: 'checkbox' });
  const refresh = h('button', { class: 'btn btn-small btn-quiet', type: 'button' }, 'Refresh');
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Storage'), h('div', { class: 'panel-head-side' }, refresh)),
    datasets, removed, summary, largest,
    h('div', { class: 'storage-actions' }, dropLessons,
      h('label', { for: 'keep-lesson-weights' }, keepLessons, ' Keep the weights of lesson runs (off: a lesson run keeps them only until the page closes)')),
    h('p', { class: 'caption' }, 'Weights are kept for the best epoch of each finished run. Delete a run in the runs table to free its history and weights (export it first to keep a copy).'));

  let lastState = null;
  let key = '';
  let measuring = null;

  /** A dataset's line: its size and a Remove that asks once more before it deletes. */
  function datasetItem(d) {
    const remove = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'remove-dataset' }, 'Remove');
    let armed = false;
    remove.addEventListener('click', async () => {
      if (!armed) {
        armed = true;
        setText(remove, `Remove ${fmtBytes(d.bytes)}?`);
        setTimeout(() => { armed = false; setText(remove, 'Remove'); }, 4000);
        return;
      }
      remove.disabled = true;
      await app.forgetDataset(d.base);
      setText(removed, `Removed the dataset ${d.name} (${fmtBytes(d.bytes)}) from this browser. This page keeps training on the copy the worker holds; the next visit downloads or converts it again.`);
      remeasure();
    });
    const files = d.files ? `${d.kept} of ${d.files} files` : 'its files unknown';
    return h('li', { 'data-dataset': d.name }, h('span', {}, `Dataset ${d.name}: ${fmtBytes(d.bytes)} (${files})`), ' ', remove);
  }

  async function measure() {
    const kept = await app.keptDatasets().catch(() => []);
    datasets.replaceChildren(...kept.map(datasetItem));
    const usage = await app.storageUsage();
    if (!usage) {
      setText(summary, 'Runs are kept in memory only: nothing is stored in this browser.');
      return;
    }
    const runs = lastState?.runs ?? [];
    let history = 0;
    let weights = 0;
    for (const b of usage.perRun.values()) {
      history += b.history;
      weights += b.weights;
    }
    const withWeights = [...usage.perRun.values()].filter((b) => b.weights > 0).length;
    const browser = usage.usage === null ? '' : ` The browser counts ${fmtBytes(usage.usage)} used by this site${usage.quota ? ` of ${fmtBytes(usage.quota)} allowed` : ''}.`;
    const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const data = kept.length ? ` ${plural(kept.length, 'dataset')}: ${fmtBytes(kept.reduce((a, d) => a + d.bytes, 0))}.` : '';
    setText(summary, `${plural(usage.perRun.size, 'stored run')}: histories ${fmtBytes(history)}, best weights of ${plural(withWeights, 'run')}: ${fmtBytes(weights)}.${data}${browser}`);
    const name = (id) => runs.find((r) => r.id === id)?.name ?? id;
    const top = [...usage.perRun].map(([id, b]) => [id, b.history + b.weights, b]).sort((a, b) => b[1] - a[1]).slice(0, LARGEST);
    largest.replaceChildren(...top.map(([id, total, b]) => h('li', { 'data-run-id': id }, `${name(id)}: ${fmtBytes(total)} (history ${fmtBytes(b.history)}, weights ${fmtBytes(b.weights)})`)));
    const lessonIds = runs.filter((r) => r.lesson && r.hasWeights).map((r) => r.id);
    dropLessons.disabled = lessonIds.length === 0;
    setText(dropLessons, lessonIds.length ? `Drop the weights of ${lessonIds.length} lesson run${lessonIds.length === 1 ? '' : 's'}` : 'No lesson run has stored weights');
  }

  function remeasure() {
    measuring ??= measure().catch((error) => setText(summary, `Storage could not be measured: ${error.message}`)).finally(() => { measuring = null; });
  }

  refresh.addEventListener('click', remeasure);
  dropLessons.addEventListener('click', async () => {
    const ids = (lastState?.runs ?? []).filter((r) => r.lesson && r.hasWeights).map((r) => r.id);
    await app.dropWeights(ids);
    remeasure();
  });
  keepLessons.addEventListener('change', () => app.setKeepLessonWeights(keepLessons.checked));

  return function update(state) {
    lastState = state;
    const k = JSON.stringify([state.persistent, state.data.status, state.runs.map((r) => [r.id, r.status, r.hasWeights, r.history.epochs.length])]);
    keepLessons.checked = app.keepLessonWeights();
    keepLessons.disabled = !state.persistent;
    if (k === key) return;
    key = k;
    remeasure();
  };
}
