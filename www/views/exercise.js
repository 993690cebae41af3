// Exercise 8 whole, in one click: the edition and length to run, a time estimate before it
// starts, and the results table that fills in as parts end, beside the book's figures and the
// CLI's reference runs (docs/RESULTS.md). The table and its rows come from the worker (Rust);
// this view only lays them out. The editions, lengths, rows and their labels are Rust's too
// (`state.choices`): the selects and the rows appear when they come with the wasm module.
import { h, setText, fmtPercent, fmtLr, fmtApprox, fmtNumber, choiceLabel, choiceName } from './format.js';
import { measuredCost } from './estimate.js';

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

function select(id, label) {
  const el = h('select', { id });
  return { el, field: h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), el) };
}

function rowCells(r, reference, choices) {
  const book = r?.book;
  const diverged = r?.stop?.kind === 'diverged';
  const accuracy = (e) => (diverged ? 'diverged' : pct(e));
  const delta = r?.valid && book ? `${(100 * (r.valid.accuracy - book.val_accuracy)).toFixed(1)}` : '—';
  return [
    r ? `${fmtLr(r.lr)} (${choiceLabel(choices, 'lrHow', r.lr_how)})` : '',
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
  const edition = select('exercise-edition', 'Edition of the book');
  const length = select('exercise-length', 'Length');
  // Train stays the page's one primary action; this one starts hours of work.
  // Enabled once the wasm module has sent the editions and lengths to choose from.
  const run = h('button', { id: 'btn-exercise-run', class: 'btn', type: 'button', disabled: true }, 'Run the whole exercise');
  const resume = h('button', { id: 'btn-exercise-resume', class: 'btn', type: 'button', hidden: true }, 'Resume');
  const pause = h('button', { id: 'btn-exercise-pause', class: 'btn', type: 'button', hidden: true }, 'Pause');
  const stop = h('button', { id: 'btn-exercise-stop', class: 'btn btn-danger', type: 'button', hidden: true }, 'Stop exercise');
  const estimate = h('p', { class: 'exercise-estimate', 'data-testid': 'exercise-estimate' });
  const status = h('p', { class: 'exercise-status', role: 'status', 'data-testid': 'exercise-status' });
  const header = ['Part', 'Learning rate', 'Epochs / best', 'Val acc', 'Test acc', 's / epoch', 'Book val acc', 'Δ book (points)', 'CLI reference'];
  const body = h('tbody');
  let rows = {};
  /** The selects' options and the table's rows, once the choices have come. */
  function fill(choices) {
    const options = (list) => list.map((c) => h('option', { value: c.value }, c.label));
    edition.el.replaceChildren(...options(choices.edition));
    length.el.replaceChildren(...options(choices.exerciseLength));
    rows = Object.fromEntries(choices.exerciseRow.map(({ value, label }) => [value, h('tr', { 'data-row': value }, h('th', { scope: 'row' }, label), ...header.slice(1).map((text) => h('td', { 'data-label': text })))]));
    body.replaceChildren(...Object.values(rows));
  }
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
  let choices = null;
  const settings = () => ({ edition: edition.el.value, length: length.el.value });
  run.addEventListener('click', () => app.runExercise({ ...settings() }));
  resume.addEventListener('click', () => app.runExercise({ ...settings(), resume: true }));
  stop.addEventListener('click', () => app.stopExercise());
  pause.addEventListener('click', () => (pause.textContent === 'Pause' ? app.pauseExercise() : app.continueExercise()));
  // Another edition or length shows its kept table and plans again.
  for (const el of [edition.el, length.el]) el.addEventListener('change', () => app.invalidate());

  return function update(state) {
    const ex = state.exercise;
    if (!ex || !state.choices) return;
    if (choices !== state.choices) fill((choices = state.choices));
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
    setText(caption, `${choiceName(choices, 'edition', ed)}${(active?.length ?? kept?.length) === 'quick' ? ', quick length: fewer records and epochs than the book, so the figures are not comparable with the book\'s' : ''}`);
    const reference = Object.fromEntries((ex.plan?.reference ?? []).map((r) => [r.row, r]));
    for (const [row, tr] of Object.entries(rows)) {
      const r = shown.find((x) => x.row === row);
      const cells = rowCells(r, reference[row], choices);
      [...tr.children].slice(1).forEach((td, i) => setText(td, cells[i]));
      tr.classList.toggle('pending', !r);
    }
  };
}
