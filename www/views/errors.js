// The visible error area: every problem the page or the worker reports, with what to do. Fatal
// worker errors (crash, lost GPU device, out of memory) offer a restart on the same or the CPU
// backend; the failed run's history is kept either way.
import { h } from './format.js';

const DURING = {
  init: 'starting the backend', dataset: 'loading the dataset', shard: 'adding a shard', configure: 'configuring the run',
  'find-lr': 'the LR finder', train: 'training', 'step-epoch': 'training', stop: 'stopping the run', evaluate: 'evaluation',
  'mc-dropout': 'MC Dropout', 'export-weights': 'exporting weights', 'import-weights': 'loading weights',
  lessons: 'listing the lessons', lesson: 'the lesson',
  'history-csv': 'the CSV export',
};

export function createErrors(container, app) {
  container.setAttribute('role', 'alert');
  container.setAttribute('aria-live', 'assertive');
  let shown = '';

  return function update(state) {
    const key = state.errors.map((e) => e.id).join(',') + state.backend.status + state.backend.requested;
    if (key === shown) return;
    shown = key;
    container.replaceChildren(...state.errors.map((error) => {
      // Actions the error names (e.g. continue a run elsewhere), then the restarts a fatal one needs.
      const actions = (error.actions ?? []).map((action) => h('button', { class: 'btn btn-primary', 'data-testid': action.testid, onclick: () => { app.dismissError(error.id); action.run(); } }, action.label));
      if (error.fatal && !error.actions) {
        const same = state.backend.requested;
        actions.push(
          h('button', { class: 'btn', 'data-testid': 'restart-same', onclick: () => { app.dismissError(error.id); app.restartWorker(same); } },
            `Restart the worker (${same === 'auto' ? 'auto backend' : same === 'cpu' ? 'CPU' : 'WebGPU'})`),
          h('button', { class: 'btn btn-primary', 'data-testid': 'restart-cpu', onclick: () => { app.dismissError(error.id); app.restartWorker('cpu'); } },
            'Restart on the CPU backend'),
        );
      }
      return h('div', { class: `error-item error-${error.kind}${error.fatal ? ' error-fatal' : ''}`, 'data-testid': 'error-item' },
        h('div', { class: 'error-text' },
          h('strong', {}, error.kind === 'notice' ? 'Note' : error.fatal ? 'The training worker stopped' : `Error${DURING[error.during] ? ` during ${DURING[error.during]}` : ''}`),
          h('span', { class: 'error-message' }, error.message),
          error.hint ? h('span', { class: 'error-hint' }, error.hint) : null),
        h('div', { class: 'error-actions' }, ...actions,
          h('button', { class: 'btn btn-quiet', 'aria-label': 'Dismiss', title: 'Dismiss', onclick: () => app.dismissError(error.id) }, '×')));
    }));
    container.hidden = state.errors.length === 0;
  };
}
