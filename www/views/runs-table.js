// Every run this browser knows (trained here or imported): pick one to view, choose up to four to
// compare, load its weights, export it to a file or its history as CSV, delete it; import run files.
import { h, fmtPercent, fmtDuration, fmtDate } from './format.js';
import { MAX_COMPARED } from '../app/library.js';

export function createRunsTable(container, app) {
  const input = h('input', { id: 'import-file', type: 'file', accept: '.json,application/json', multiple: true, hidden: true });
  const importButton = h('button', { id: 'btn-import', class: 'btn', type: 'button' }, 'Import runs…');
  const count = h('span', { class: 'panel-sub', 'data-testid': 'runs-count' });
  const persistence = h('p', { class: 'caption', 'data-testid': 'runs-persistence' });
  const viewOrLoad = h('p', { class: 'caption', 'data-testid': 'runs-view-load' },
    'View shows a run on this page (curves, per-layer statistics, results); Load weights puts its best weights into the training worker, which MC Dropout and a new evaluation need.');
  const table = h('table', { class: 'data-table runs' });
  importButton.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    app.importRuns([...input.files]);
    input.value = '';
  });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Runs'), count, h('div', { class: 'panel-head-side' }, importButton, input)),
    viewOrLoad, h('div', { class: 'table-scroll' }, table), persistence);

  let key = '';
  let armed = null; // the run whose delete button asks for confirmation

  return function update(state) {
    const k = JSON.stringify([state.runs.map((r) => [r.id, r.name, r.status, r.history.epochs.length, r.hasWeights, r.results?.valid?.accuracy, r.results?.test?.accuracy, r.results?.validHere?.accuracy]),
      state.viewRunId, state.activeRunId, state.loadedRunId, [...state.overlays], state.phase, armed, state.persistent, Boolean(state.data.worker?.ready_to_train), state.variants.length]);
    if (k === key) return;
    key = k;
    count.textContent = state.runs.length ? `${state.runs.length} run${state.runs.length === 1 ? '' : 's'}` : '';
    persistence.textContent = state.persistent
      ? 'Runs (history, per-layer statistics, results and the best weights) are kept in this browser and survive reloads; a run cut off by a reload is marked interrupted. Export a run to move it to another browser.'
      : 'Runs are kept in memory only (this browser refused IndexedDB): export the ones to keep.';
    const idle = state.phase === 'idle';
    const labels = new Map(state.variants.map((v) => [v.name, v.label ?? v.name]));
    const head = h('thead', {}, h('tr', {}, ...['View', 'Run', 'Variant', 'Status', 'Epochs', 'Best', 'Val acc', 'Test acc', 'Time/epoch', 'Total', 'Compare', ''].map((t) => h('th', {}, t))));
    const rows = [...state.runs].reverse().map((run) => {
      const epochs = run.history.epochs;
      const total = epochs.reduce((a, e) => a + e.seconds, 0) + (run.timings?.finishSeconds ?? 0);
      const valid = run.results?.valid ?? run.results?.validHere;
      const test = run.results?.test ?? run.results?.testHere;
      const bestEpoch = run.history.best_epoch;
      const best = epochs.find((e) => e.epoch === bestEpoch);
      const viewing = run.id === state.viewRunId;
      const view = h('input', { type: 'radio', name: 'view-run', checked: viewing, 'aria-label': `View ${run.name}`, onchange: () => app.viewRun(run.id) });
      const chosen = state.overlays.has(run.id);
      const full = !chosen && state.overlays.size >= MAX_COMPARED;
      const overlay = h('input', { type: 'checkbox', checked: chosen, disabled: epochs.length === 0 || full, 'data-action': 'compare', title: full ? `At most ${MAX_COMPARED} runs are compared: clear one first` : 'Compare this run with the others chosen', 'aria-label': `Compare ${run.name}`, onchange: (e) => app.toggleOverlay(run.id, e.target.checked) });
      const active = run.id === state.activeRunId;
      const actions = [];
      if (run.hasWeights && state.loadedRunId !== run.id) {
        actions.push(h('button', { class: 'btn btn-small', type: 'button', disabled: !idle || !state.data.worker?.ready_to_train, title: 'Load the best weights into the worker (for MC Dropout and evaluation)', 'data-action': 'load', onclick: () => app.loadWeights(run.id) }, 'Load weights'));
      } else if (state.loadedRunId === run.id) {
        actions.push(h('span', { class: 'loaded-tag', title: 'These weights are in the worker' }, 'loaded'));
      }
      actions.push(h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'export', title: 'Download config, history, statistics and weights as JSON', onclick: () => app.exportRun(run.id) }, 'Export'));
      for (const table of ['epochs', 'probes']) {
        const what = table === 'epochs' ? 'one row per epoch' : 'one row per probe and layer';
        actions.push(h('button', { class: 'btn btn-small btn-quiet', type: 'button', 'data-action': `csv-${table}`, title: `Download the ${table} as CSV (${what}), for a spreadsheet or pandas`, onclick: () => app.exportCsv(run.id, table) }, `CSV: ${table}`));
      }
      if (armed === run.id) {
        actions.push(h('button', { class: 'btn btn-small btn-danger', type: 'button', 'data-action': 'confirm-delete', onclick: () => { armed = null; app.deleteRun(run.id); } }, 'Delete?'));
      } else {
        actions.push(h('button', { class: 'btn btn-small btn-quiet', type: 'button', 'data-action': 'delete', disabled: active, title: active ? 'Stop the run first' : 'Delete this run', onclick: () => { armed = run.id; key = ''; app.invalidate(); setTimeout(() => { if (armed === run.id) { armed = null; key = ''; app.invalidate(); } }, 4000); } }, 'Delete'));
      }
      return h('tr', { class: viewing ? 'is-viewing' : '', 'data-run-id': run.id, 'data-status': run.status, onclick: (e) => { if (e.target.closest('button, input, a')) return; app.viewRun(run.id); } },
        h('td', { 'data-label': 'View' }, view),
        h('td', { class: 'run-name' }, h('div', {}, run.name, run.imported ? h('span', { class: 'tag' }, 'imported') : null),
          h('div', { class: 'run-meta' }, [fmtDate(run.created), run.dataset, run.backend, ...(run.modified?.length ? [run.modified.join(', ')] : [])].filter(Boolean).join(' · '))),
        h('td', { 'data-label': 'Variant' }, labels.get(run.variant) ?? run.variant),
        h('td', { 'data-label': 'Status' }, h('span', { class: 'status-badge', 'data-status': run.status }, run.status)),
        h('td', { class: 'num', 'data-label': 'Epochs' }, String(epochs.length)),
        h('td', { class: 'num', 'data-label': 'Best epoch' }, bestEpoch ? String(bestEpoch) : '—'),
        h('td', { class: 'num', 'data-label': 'Val acc' }, valid ? fmtPercent(valid.accuracy, 2) : best ? `(${fmtPercent(best.val_accuracy, 2)})` : '—'),
        h('td', { class: 'num', 'data-label': 'Test acc' }, test ? fmtPercent(test.accuracy, 2) : '—'),
        h('td', { class: 'num', 'data-label': 'Time/epoch' }, epochs.length ? fmtDuration(epochs.reduce((a, e) => a + e.seconds, 0) / epochs.length) : '—'),
        h('td', { class: 'num', 'data-label': 'Total' }, epochs.length ? fmtDuration(total) : '—'),
        h('td', { class: 'center', 'data-label': 'Compare' }, overlay),
        h('td', { class: 'actions' }, ...actions));
    });
    table.replaceChildren(head, h('tbody', {}, ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 12, class: 'empty-row' }, 'No runs yet. Pick a variant and press Train.'))])));
  };
}
