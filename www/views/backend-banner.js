// Which compute backend the worker picked and why, with a switch (auto / WebGPU / CPU) that
// restarts the worker on the chosen one.
import { h, setText } from './format.js';
// Phases in which the worker is mid-request: a restart would lose its answer.
import { BUSY } from '../app/phase.js';

export const BACKEND_LABELS = { webgpu: 'WebGPU', cpu: 'CPU (wasm)' };

export function createBackendBanner(container, app) {
  const badge = h('span', { class: 'backend-badge', 'data-testid': 'backend-name' });
  const reason = h('span', { class: 'backend-reason', 'data-testid': 'backend-reason' });
  const adapter = h('span', { class: 'backend-adapter', 'data-testid': 'backend-adapter' });
  const select = h('select', { id: 'backend', 'aria-label': 'Compute backend' },
    h('option', { value: 'auto' }, 'Auto'),
    h('option', { value: 'webgpu' }, 'WebGPU'),
    h('option', { value: 'cpu' }, 'CPU'));
  select.addEventListener('change', () => app.restartWorker(select.value));
  // The reason keeps to one line (the page below it does not move when it arrives); a click or
  // tap shows all of it.
  reason.addEventListener('click', () => reason.classList.toggle('is-open'));
  container.append(
    h('div', { class: 'backend-main' }, h('span', { class: 'backend-label' }, 'Backend'), badge, reason),
    h('div', { class: 'backend-side' }, adapter, h('label', { class: 'backend-switch' }, 'Use ', select)),
  );

  return function update(state) {
    const { backend, phase } = state;
    const software = Boolean(backend.adapter?.software);
    let tone = 'ok';
    if (backend.status === 'starting') {
      setText(badge, 'starting…');
      setText(reason, `Starting the training worker (${backend.requested === 'auto' ? 'choosing a backend' : BACKEND_LABELS[backend.requested]})…`);
      tone = 'busy';
    } else if (backend.status === 'ready') {
      setText(badge, BACKEND_LABELS[backend.active] ?? backend.active);
      setText(reason, backend.reason);
      if (backend.active === 'webgpu' && software) tone = 'warn';
      else if (backend.active === 'cpu' && backend.requested !== 'cpu') tone = 'warn';
    } else {
      setText(badge, backend.status === 'crashed' ? 'crashed' : 'failed');
      setText(reason, backend.status === 'crashed'
        ? 'The training worker crashed; restart it from the error message below, or pick another backend here.'
        : 'The backend could not start; pick another one here (CPU always works).');
      tone = 'error';
    }
    reason.title = `${reason.textContent} (click to show it all)`;
    container.dataset.tone = tone;
    container.dataset.backend = backend.active ?? '';
    const a = backend.adapter;
    const name = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unnamed adapter' : null;
    setText(adapter, a ? `GPU adapter: ${name}${software ? ' (software emulation)' : ''}` : backend.status === 'ready' ? 'No WebGPU adapter' : '');
    adapter.classList.toggle('is-software', software);
    if (document.activeElement !== select) select.value = backend.requested;
    select.disabled = BUSY.has(phase) || Boolean(state.lessons.active);
    select.title = select.disabled ? 'Wait for the worker (stop the run or the lesson) before switching backend' : 'Restarts the training worker on this backend; runs are kept (a paused run ends as interrupted)';
  };
}
