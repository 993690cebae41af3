// What selfnorm keeps in this browser (histories, best weights), how much of the browser's quota
// that is, the largest runs, and ways to free space: drop the weights of lesson runs (a lesson
// trains several), keep lesson runs from storing theirs. Runs themselves are deleted from the
// runs table.
import { h, fmtBytes, setText } from '../format.js';

const LARGEST = 5;

export function createStorage(container, app) {
  const summary = h('p', { 'data-testid': 'storage-summary' }, 'Measuring…');
  const largest = h('ol', { class: 'storage-largest', 'data-testid': 'storage-largest' });
  const dropLessons = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'drop-lesson-weights' }, 'Drop the weights of lesson runs');
  const keepLessons = h('input', { id: 'keep-lesson-weights', type: 'checkbox' });
  const refresh = h('button', { class: 'btn btn-small btn-quiet', type: 'button' }, 'Refresh');
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Storage'), h('div', { class: 'panel-head-side' }, refresh)),
    summary, largest,
    h('div', { class: 'storage-actions' }, dropLessons,
      h('label', { for: 'keep-lesson-weights' }, keepLessons, ' Keep the weights of lesson runs (off: a lesson run keeps them only until the page closes)')),
    h('p', { class: 'caption' }, 'Weights are kept for the best epoch of each finished run. Delete a run in the runs table to free its history and weights (export it first to keep a copy).'));

  let lastState = null;
  let key = '';
  let measuring = null;

  async function measure() {
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
    setText(summary, `${plural(usage.perRun.size, 'stored run')}: histories ${fmtBytes(history)}, best weights of ${plural(withWeights, 'run')}: ${fmtBytes(weights)}.${browser}`);
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
    const k = JSON.stringify([state.persistent, state.runs.map((r) => [r.id, r.status, r.hasWeights, r.history.epochs.length])]);
    keepLessons.checked = app.keepLessonWeights();
    keepLessons.disabled = !state.persistent;
    if (k === key) return;
    key = k;
    remeasure();
  };
}
