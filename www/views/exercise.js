// Exercise 8 whole, in one click: the edition and length to run, a time estimate before it
// starts, and the results table that fills in as parts end, beside the book's figures and the
// CLI's reference runs (docs/RESULTS.md). The table and its rows come from the worker (Rust);
// this view only lays them out.
import { h, setText, fmtPercent, fmtLr, fmtApprox, fmtNumber } from './format.js';
import { measuredCost } from './estimate.js';

const ROWS = [['b', '(b) Nadam + early stopping'], ['c', '(c) + batch norm'], ['d', '(d) SELU, self-normalizing'], ['e', '(e) + alpha dropout'], ['mc10', '(e) MC Dropout, 10 passes'], ['mc100', '(e) MC Dropout, 100 passes'], ['f', '(f) 1cycle']];
const EDITIONS = [['second', '2nd edition (ELU, batch norm of the inputs)'], ['third', '3rd edition (Swish, Keras 3)']];
const LENGTHS = [['quick', 'Quick: 2,000 records, 3 epochs (a first look)'], ['full', 'Full: the book\'s protocol (hours on a CPU)']];
const LR_HOW = { search: 'search', 'lr-finder': 'LR finder', same: 'same net' };

const pct = (e) => (e ? fmtPercent(e.accuracy) : '—');

/** Training seconds for the whole plan at this browser's measured speed (every part to its last epoch: an upper bound), or null. */
function planSeconds(state, plan) {
  let total = 0;
  for (const [i, part] of plan.parts.entries()) {
    const cost = measuredCost(state, { model: part.variant.model, train: part.train });
    if (!cost) return null;
    total += plan.max_steps[i] * part.train.batch_size * cost.trainPerSample;
  }
  return total;
}

function select(id, options, label) {
  const el = h('select', { id }, ...options.map(([value, text]) => h('option', { value }, text)));
  return { el, field: h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), el) };
}

function rowCells(r, reference) {
  const book = r?.book;
  const diverged = r?.stop?.kind === 'diverged';
  const accuracy = (e) => (diverged ? 'diverged' : pct(e));
  const delta = r?.valid && book ? `${(100 * (r.valid.accuracy - book.val_accuracy)).toFixed(1)}` : '—';
  return [
    r ? `${fmtLr(r.lr)} (${LR_HOW[r.lr_how] ?? r.lr_how})` : '',
    r ? `${r.epochs} / ${r.best_epoch || '—'}` : '',
    r ? accuracy(r.valid) : '',
    r ? accuracy(r.test) : '',
    r && r.lr_how !== 'same' ? fmtNumber(r.seconds_per_epoch, 3) : '',
    book ? `${fmtPercent(book.val_accuracy)}${book.printed ? ` (printed ${fmtPercent(book.printed)})` : ''}` : '—',
    r ? delta : '',
    reference ? fmtPercent(reference.val_accuracy) : '—',
  ];
}

export function createExercise(container, app) {
  const edition = select('exercise-edition', EDITIONS, 'Edition of the book');
  const length = select('exercise-length', LENGTHS, 'Length');
  // Train stays the page's one primary action; this one starts hours of work.
  const run = h('button', { id: 'btn-exercise-run', class: 'btn', type: 'button' }, 'Run the whole exercise');
  const resume = h('button', { id: 'btn-exercise-resume', class: 'btn', type: 'button', hidden: true }, 'Resume');
  const pause = h('button', { id: 'btn-exercise-pause', class: 'btn', type: 'button', hidden: true }, 'Pause');
  const stop = h('button', { id: 'btn-exercise-stop', class: 'btn btn-danger', type: 'button', hidden: true }, 'Stop exercise');
  const estimate = h('p', { class: 'exercise-estimate', 'data-testid': 'exercise-estimate' });
  const status = h('p', { class: 'exercise-status', role: 'status', 'data-testid': 'exercise-status' });
  const header = ['Part', 'Learning rate', 'Epochs / best', 'Val acc', 'Test acc', 's / epoch', 'Book val acc', 'Δ book (points)', 'CLI reference'];
  const body = h('tbody');
  const rows = Object.fromEntries(ROWS.map(([row, label]) => {
    const tr = h('tr', { 'data-row': row }, h('th', { scope: 'row' }, label), ...header.slice(1).map((text) => h('td', { 'data-label': text })));
    body.append(tr);
    return [row, tr];
  }));
  const caption = h('caption');
  const table = h('table', { class: 'data-table exercise-table', 'data-testid': 'exercise-table' }, caption,
    h('thead', {}, h('tr', {}, ...header.map((t) => h('th', { scope: 'col' }, t)))), body);
  container.append(
    h('h2', {}, 'Exercise 8, whole'),
    h('p', { class: 'panel-intro' }, 'The learning-rate search and training to early stopping of (b) to (e), MC Dropout on (e)\'s net, then (f) with 1cycle: one job, one part after another (each a run in the runs table). The table fills in as parts end, beside the solution notebook\'s figures.'),
    h('div', { class: 'exercise-settings' }, edition.field, length.field),
    estimate,
    h('div', { class: 'exercise-actions' }, run, resume, pause, stop),
    status,
    h('div', { class: 'table-scroll' }, table),
  );

  let planKey = '';
  const settings = () => ({ edition: edition.el.value, length: length.el.value });
  run.addEventListener('click', () => app.runExercise({ ...settings() }));
  resume.addEventListener('click', () => app.runExercise({ ...settings(), resume: true }));
  stop.addEventListener('click', () => app.stopExercise());
  pause.addEventListener('click', () => (pause.textContent === 'Pause' ? app.pauseExercise() : app.continueExercise()));
  // Another edition or length shows its kept table and plans again.
  for (const el of [edition.el, length.el]) el.addEventListener('change', () => app.invalidate());

  return function update(state) {
    const ex = state.exercise;
    if (!ex) return;
    const active = ex.active;
    const { edition: ed, length: len } = settings();
    const key = `${ed}/${len}/${state.backend.status}/${state.data.worker?.expected?.[0]}`;
    if (key !== planKey && state.backend.status === 'ready') {
      planKey = key;
      app.planExercise(ed, len);
    }
    const kept = ex.kept[active?.edition ?? ed];
    const shown = active ? active.rows : kept?.rows ?? [];
    const busy = state.phase !== 'idle';
    run.disabled = busy;
    edition.el.disabled = length.el.disabled = Boolean(active);
    stop.hidden = pause.hidden = !active;
    setText(pause, active?.paused ? 'Continue' : 'Pause');
    resume.hidden = Boolean(active) || !kept || kept.complete || !kept.rows.length;
    resume.disabled = busy;
    const seconds = ex.plan && planSeconds(state, ex.plan);
    setText(estimate, seconds === null || !ex.plan
      ? 'Time: not estimated yet (measure this browser\'s speed with the form\'s Measure speed, or train once).'
      : `Time: at most ${fmtApprox(seconds)} of training at the speed measured here (every part to its last epoch, validation not counted; early stopping usually ends sooner).`);
    setText(status, active ? `Running: ${active.step}` : ex.failure?.message ?? (kept?.complete ? `Finished ${new Date(kept.at).toLocaleString()}.` : ''));
    setText(caption, `${ed === 'third' ? '3rd' : '2nd'} edition${(active?.length ?? kept?.length) === 'quick' ? ', quick length: fewer records and epochs than the book, so the figures are not comparable with the book\'s' : ''}`);
    const reference = Object.fromEntries((ex.plan?.reference ?? []).map((r) => [r.row, r]));
    for (const [row, tr] of Object.entries(rows)) {
      const r = shown.find((x) => x.row === row);
      const cells = rowCells(r, reference[row]);
      [...tr.children].slice(1).forEach((td, i) => setText(td, cells[i]));
      tr.classList.toggle('pending', !r);
    }
  };
}
