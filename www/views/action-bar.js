// The bar that stays at the top of the page: the buttons that start, pause and end work (only
// those that apply now), how long the next run or sweep will take here, and what the worker is
// doing. The settings it acts on are the run form's (controls.js, through `app.form`).
import { h, setText, fmtInt, fmtApprox } from './format.js';
import { BACKEND_LABELS } from './backend-banner.js';
import { measuredCost, priorCost, recordsPerEpoch, runSeconds, sweepSeconds, costSource } from './estimate.js';
import { trainBlocker } from '../app/train-start.js';

const PHASE_TEXT = {
  starting: 'Starting the training worker…',
  configuring: 'Building the model…',
  measuring: 'Timing a few training steps…',
  'lr-finding': 'Running the LR finder (Stop ends the sweep)…',
  training: 'Training…',
  pausing: 'Pausing after the current chunk of steps…',
  paused: 'Paused. Resume, step one more epoch, or stop (restores the best weights and evaluates).',
  stopping: 'Stopping: restoring the best weights and evaluating…',
  'saving-weights': 'Saving the best weights…',
  'loading-weights': 'Loading weights and evaluating…',
  mc: 'Running MC Dropout…',
  lesson: 'Running a lesson: its runs train one after the other (see Lessons).',
  failed: 'The training worker is not available; see the error above.',
};
const TITLES = {
  train: 'Train a new run with the settings below',
  step: 'Train to the end of the current (or a first) epoch, then pause',
};
// Phases whose work Stop ends: a run, an LR sweep, MC Dropout (after its current sample count).
const STOPPABLE = ['training', 'pausing', 'paused', 'lr-finding', 'mc'];

function button(id, text, cls = '', title = null) {
  return h('button', { id, class: `btn ${cls}`, type: 'button', title }, text);
}

/** Phases of a run or sweep in progress: the LR finder's button is then left out of the bar. */
const RUN_PHASES = ['configuring', 'training', 'pausing', 'paused', 'stopping', 'saving-weights'];

/**
 * Marks a button that cannot act now without disabling it, so that a click still reaches it and
 * is answered (with the reason, or by starting once it can); `why` becomes its tooltip.
 */
function setBlocked(el, why, title) {
  el.setAttribute('aria-disabled', String(Boolean(why)));
  el.title = why ? `Cannot start now: ${why}` : title;
}

export function createActionBar(container, app) {
  // Stop comes before Pause: focus moves to Stop when a run starts, and the next Tab reaches Pause.
  const btn = {
    train: button('btn-train', 'Train', '', TITLES.train),
    lrFind: button('btn-lr-find', 'LR finder', '', 'Sweep the learning rate over a few hundred steps to find a good one (weights restored after)'),
    step: button('btn-step', ['Step', h('span', { class: 'wide-only' }, ' one epoch')], '', TITLES.step),
    stop: button('btn-stop', 'Stop', 'btn-danger', 'End the run (restore the best weights, evaluate) or the LR sweep'),
    pause: button('btn-pause', 'Pause'),
    resume: button('btn-resume', 'Resume', 'btn-primary'),
  };
  const length = h('select', { id: 'run-length', 'aria-label': 'Run length' });
  const estimate = h('span', { class: 'estimate', 'data-testid': 'estimate' });
  const source = h('span', { class: 'estimate-source', 'data-testid': 'estimate-source' });
  const measure = button('btn-measure', 'Measure speed', 'btn-small', 'Time a few training steps of this net (weights untouched) to estimate run times');
  const newcomer = h('a', { class: 'newcomer', href: '#lessons', 'data-testid': 'newcomer' }, 'New here? Start with a lesson ↓');
  const status = h('p', { class: 'controls-status', 'data-testid': 'controls-status', 'aria-live': 'polite' });
  const resultsLink = h('a', { href: '#results', class: 'results-link', hidden: true }, 'Results ↓');
  const error = h('p', { id: 'config-error', class: 'config-error', role: 'alert', hidden: true });
  container.append(
    h('div', { class: 'action-row' },
      h('div', { class: 'action-buttons' }, ...Object.values(btn)),
      h('label', { class: 'run-length' }, h('span', {}, 'Length'), length),
      newcomer),
    h('div', { class: 'action-info' }, estimate, measure, source),
    h('div', { class: 'action-status' }, status, resultsLink),
    error);

  // Anchors scroll below what stays in view: the whole bar, or on a phone its row of buttons alone
  // (styles.css lets the rest of the bar scroll away there).
  const buttons = container.querySelector('.action-buttons');
  const sticky = new ResizeObserver(() => {
    const held = getComputedStyle(container).display === 'contents' ? buttons : container;
    document.documentElement.style.setProperty('--bar-height', `${held.offsetHeight + 8}px`);
  });
  sticky.observe(container);
  sticky.observe(buttons);

  // After a click on Train, focus follows the run: to Stop once it shows (Pause is the next Tab).
  let focusStop = false;

  /** Runs `action(config)` with the form's settings, or says which setting is wrong. */
  const withForm = (action) => () => {
    try {
      action(app.form.read());
      error.hidden = true;
    } catch (e) {
      error.textContent = `Check the settings: ${e.message}`;
      error.hidden = false;
    }
  };
  // The form is read again when the run starts: a click may wait for the worker or the dataset.
  // Before the worker has sent the variants the form cannot be read yet; such an early click is
  // kept as it is, and a wrong setting is reported when the run would start.
  const formSpec = () => app.form.spec(app.form.read());
  const train = (options) => (app.state.variants.length ? withForm(() => app.train(formSpec, options))() : app.train(formSpec, options));
  btn.train.addEventListener('click', () => {
    focusStop = true;
    train();
  });
  btn.step.addEventListener('click', () => {
    // A paused run goes on with its own settings; the form only matters for a new run.
    if (app.state.phase === 'paused') app.resume({ stepOnly: true });
    else train({ stepOnly: true });
  });
  btn.lrFind.addEventListener('click', withForm((config) => app.findLr(config, app.form.sweep())));
  btn.pause.addEventListener('click', () => app.pause());
  btn.resume.addEventListener('click', () => app.resume());
  btn.stop.addEventListener('click', () => app.stop());
  measure.addEventListener('click', withForm((config) => app.measureSpeed(config)));
  length.addEventListener('change', () => {
    const preset = presets(app.state).find((p) => p.key === length.value);
    if (preset) app.form.setLength(preset);
  });

  /** The run lengths offered (crate/src/run_length.rs): the backend's quick one and the exercise's. */
  function presets(state) {
    const { quick, full } = state.lengths ?? {};
    return quick ? [{ key: 'quick', ...quick }, { key: 'full', ...full }] : [];
  }

  function renderLength(state, config, cost, available) {
    const options = presets(state);
    const describe = (epochs, maxRecords) => {
      if (!available) return `${epochs} epoch${epochs === 1 ? '' : 's'}`;
      const records = recordsPerEpoch({ max_train_records: maxRecords }, available);
      const time = cost ? `, ${fmtApprox(runSeconds(cost, epochs, records))}` : '';
      return `${epochs} epoch${epochs === 1 ? '' : 's'} × ${fmtInt(records)} records${time}`;
    };
    const train = config?.train;
    const current = options.find((p) => train && p.epochs === train.max_epochs && p.max_train_records === train.max_train_records);
    const items = options.map((p) => [p.key, `${p.name}: ${describe(p.epochs, p.max_train_records)}`]);
    if (!current) items.push(['custom', train ? `Your settings: ${describe(train.max_epochs, train.max_train_records)}` : 'Your settings']);
    const key = JSON.stringify(items);
    if (length.dataset.key !== key) {
      length.dataset.key = key;
      length.replaceChildren(...items.map(([value, text]) => h('option', { value }, text)));
    }
    if (document.activeElement !== length) length.value = current?.key ?? 'custom';
  }

  function renderEstimate(state, config, cost, available) {
    measure.hidden = true;
    if (!config || !available || state.backend.status !== 'ready') {
      setText(estimate, '');
      setText(source, '');
      return;
    }
    const backend = BACKEND_LABELS[state.backend.active] ?? state.backend.active;
    if (!cost) {
      setText(estimate, `Time on ${backend}: not known for this backend.`);
      setText(source, '');
      measure.hidden = false;
      measure.disabled = state.phase !== 'idle' || Boolean(state.lessons.active);
      return;
    }
    const { train } = config;
    const records = recordsPerEpoch(train, available);
    const sweep = safe(() => app.form.sweep());
    setText(estimate, `Train: ${fmtApprox(runSeconds(cost, train.max_epochs, records))} at most`
      + (sweep ? ` · LR finder: ${fmtApprox(sweepSeconds(cost, sweep.steps, train.batch_size))}` : '')
      + (cost.scaled ? ' (from another net\'s speed)' : '')
      + (cost.prior ? ' (a rough guess until measured here)' : ''));
    // Speed does not scale exactly with size (small nets are overhead-bound): offer a measurement.
    measure.hidden = !(cost.scaled || cost.prior);
    measure.disabled = state.phase !== 'idle' || Boolean(state.lessons.active);
    setText(source, `${train.max_epochs} epochs × ${fmtInt(records)} records on ${backend}; early stopping may end it sooner. From ${costSource(cost)}.`);
  }

  function renderButtons(state) {
    const { phase } = state;
    const blocker = trainBlocker(state);
    const dataReady = Boolean(state.data.worker?.ready_to_train) && !['error', 'absent'].includes(state.data.status) && state.backend.status === 'ready';
    // During a lesson the phase is idle only for an instant between two of its runs.
    const idle = phase === 'idle' && !state.lessons.active;
    btn.lrFind.disabled = !(dataReady && idle);
    setBlocked(btn.train, blocker?.text, TITLES.train);
    setBlocked(btn.step, phase === 'paused' ? null : blocker?.text, TITLES.step);
    btn.step.hidden = !(phase === 'idle' || phase === 'paused');
    btn.pause.disabled = phase !== 'training';
    btn.pause.hidden = !(phase === 'training' || phase === 'pausing');
    btn.resume.disabled = phase !== 'paused';
    btn.resume.hidden = phase !== 'paused';
    btn.stop.disabled = !STOPPABLE.includes(phase);
    btn.stop.hidden = !(STOPPABLE.includes(phase) || phase === 'stopping');
    btn.lrFind.hidden = RUN_PHASES.includes(phase);
    const fresh = state.runs.length === 0 && Object.keys(state.lessons.records).length === 0;
    newcomer.hidden = !fresh;
    // The one primary action: Train, once the data and the worker are ready and nothing runs.
    btn.train.classList.toggle('btn-primary', dataReady && idle);
    length.disabled = !idle;
    if (state.trainRequest?.status === 'refused') focusStop = false;
    // A button that no longer applies would drop focus to the page: it moves to the next that does.
    if ([btn.stop, btn.pause, btn.resume].some((b) => b === document.activeElement && (b.hidden || b.disabled))) {
      [btn.resume, btn.stop, btn.train].find((b) => !b.hidden && !b.disabled).focus({ preventScroll: true });
    }
    if (focusStop && !btn.stop.hidden) {
      focusStop = false;
      if ([btn.train, document.body, null].includes(document.activeElement)) btn.stop.focus({ preventScroll: true });
    }
    return { dataReady, idle };
  }

  function renderStatus(state, { dataReady, idle }) {
    const { phase } = state;
    let text = PHASE_TEXT[phase] ?? '';
    if (idle) {
      if (state.backend.status !== 'ready') text = 'Waiting for the training worker…';
      else if (state.data.consent) text = 'The dataset download waits for your yes in the Dataset panel.';
      else if (state.conversion?.status === 'running') text = 'Making the dataset from the archive; Train is ready once it is in.';
      else if (state.data.status === 'absent') text = 'No dataset yet: add CIFAR-10 in the Dataset panel. The preview and the lessons work meanwhile, on a synthetic set.';
      else if (!dataReady) text = state.data.status === 'error' ? 'No dataset: see the error above.' : 'Waiting for the first shards…';
      else text = 'Ready. Changes apply to the next run.';
    }
    if (state.trainRequest) text = state.trainRequest.text;
    status.dataset.request = state.trainRequest?.status ?? '';
    const active = state.runs.find((r) => r.id === state.activeRunId);
    if (active && (phase === 'training' || phase === 'paused')) text = `${active.name}: ${text}`;
    const viewed = state.runs.find((r) => r.id === state.viewRunId);
    resultsLink.hidden = !(idle && viewed?.status === 'finished' && !viewed.lesson && Date.now() - (viewed.timings?.finished ?? 0) < 10 * 60_000);
    if (!resultsLink.hidden) text = `${viewed.name} finished.`;
    setText(status, text);
    status.dataset.phase = phase;
  }

  return function update(state) {
    const config = app.form ? safe(() => app.form.read()) : null;
    const cost = config ? measuredCost(state, config) ?? priorCost(state.backend, config) : null;
    const available = state.data.worker?.expected?.[0] ?? state.data.manifest?.train.records ?? 0;
    renderLength(state, config, cost, available);
    renderEstimate(state, config, cost, available);
    renderStatus(state, renderButtons(state));
  };
}

function safe(read) {
  try {
    return read();
  } catch {
    return null;
  }
}
