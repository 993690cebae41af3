// The chapter's lessons (questions 1–7 and the solution's 1cycle part) as one-click experiments:
// pick a lesson, adjust how long its runs train, press Run; the runs train one after the other
// (each a normal run in the runs table), then the figure that answers the question appears,
// drawn from the finding (lesson-figures.js). The last finding of each lesson survives reloads.
import { h, setText, fmtInt, fmtDate, fmtLr, fmtNumber, fmtApprox, choiceName } from './format.js';
import { renderFinding } from './lesson-figures.js';
import { measuredCost, recordsPerEpoch, runSeconds } from './estimate.js';

const STORAGE_KEY = 'selfnorm-lessons-v1';
const TABS = [
  ['symmetry', 'Q1', 'Identical init'],
  ['zero-bias', 'Q2', 'Zero biases'],
  ['activations', 'Q3–4', 'Activations'],
  ['momentum', 'Q5', 'Momentum'],
  ['sparsity', 'Q6', 'Sparsity'],
  ['dropout-cost', 'Q7', 'Dropout cost'],
  ['one-cycle', '8f', '1cycle'],
];
/** A lesson as its tab reads ("Q1 Identical init"), or its name for one without a tab. */
export function lessonTitle(name) {
  const tab = TABS.find(([n]) => n === name);
  return tab ? `${tab[1]} ${tab[2]}` : name;
}

/** A run's settings as short phrases, keyed by what they set (to tell shared ones from those that differ); `choices` names the options. */
function settingsOf(run, choices) {
  const { model, train, preprocessing } = run;
  const { kind, momentum, nesterov } = train.optimizer;
  const optimizer = `${choiceName(choices, 'optimizer', kind)}${momentum === undefined ? '' : `, momentum ${momentum}${nesterov ? ' (Nesterov)' : ''}`}`;
  return {
    net: `${model.depth} × ${model.width} net`,
    activation: choiceName(choices, 'activation', model.activation),
    init: choiceName(choices, 'kernelInit', model.kernel_init.kind),
    bias: `biases ${fmtNumber(model.bias_init, 4)}`,
    batchNorm: [model.input_batch_norm && 'input batch norm', model.batch_norm && 'batch norm'].filter(Boolean).join(', '),
    dropout: model.dropout ? `${choiceName(choices, 'dropoutKind', model.dropout.kind)} ${model.dropout.rate}` : choiceName(choices, 'dropoutKind', 'none'),
    optimizer,
    lr: train.schedule.kind === 'one-cycle' ? '1cycle, peak rate from the LR finder' : `lr ${fmtLr(train.lr).replace('.0e', 'e')}`,
    l1: train.l1 > 0 ? `L1 ${train.l1}` : 'no L1',
    batch: `batch ${train.batch_size}`,
    inputs: choiceName(choices, 'preprocessing', preprocessing),
  };
}
/** L1 strengths the slider steps through: 1, 2, 5 per decade. */
const L1_VALUES = [-6, -5, -4, -3, -2].flatMap((e) => [1, 2, 5].map((m) => Number(`${m}e${e}`))).filter((v) => v <= 1e-2);
const DEFAULT_L1 = 1e-4;


/** The lesson's training time at the speeds measured here (its LR sweeps not counted), or null. */
function lessonSeconds(state, lesson, available) {
  let total = 0;
  for (const run of lesson.runs) {
    const cost = measuredCost(state, run);
    if (!cost) return null;
    total += runSeconds(cost, run.train.max_epochs, recordsPerEpoch(run.train, available));
  }
  return total;
}

function loadSettings() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') ?? {};
  } catch {
    return {};
  }
}

function saveSettings(settings) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // A convenience only.
  }
}

function numberInput(id, attrs) {
  return h('input', { id, type: 'number', inputmode: 'numeric', step: 1, ...attrs });
}

export function createLessons(container, app) {
  const settings = loadSettings();
  let selected = TABS.some(([name]) => name === settings.lesson) ? settings.lesson : TABS[0][0];
  const tabButtons = TABS.map(([name, q, title]) => h('button', { class: 'lesson-tab', type: 'button', role: 'tab', id: `lesson-tab-${name}`, 'aria-controls': 'lesson-panel', 'data-lesson': name, onclick: () => select(name) },
    h('span', { class: 'lesson-tab-q' }, q), h('span', { class: 'lesson-tab-title' }, title), h('span', { class: 'lesson-tab-dot', title: 'A finding is stored' })));
  const tabList = h('div', { class: 'lesson-tabs', role: 'tablist', 'aria-label': 'Lessons' }, ...tabButtons);
  // Arrow keys move between the tabs (and select), as in any tab list; Tab leaves the list.
  tabList.addEventListener('keydown', (event) => {
    const index = tabButtons.indexOf(document.activeElement);
    if (index < 0) return;
    const next = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: tabButtons.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const button = tabButtons[(next + tabButtons.length) % tabButtons.length];
    select(button.dataset.lesson);
    button.focus();
  });
  const question = h('h3', { class: 'lesson-question', 'data-testid': 'lesson-question' });
  const runList = h('div', { class: 'lesson-runs', 'data-testid': 'lesson-runs' });
  const shared = h('p', { class: 'lesson-shared', 'data-testid': 'lesson-shared' });
  const el = {
    epochs: numberInput('lesson-epochs', { min: 1, max: 1000 }),
    records: numberInput('lesson-records', { min: 0, step: 100 }),
    depth: numberInput('lesson-depth', { min: 1, max: 200 }),
    width: numberInput('lesson-width', { min: 1, max: 4096 }),
    l1: h('input', { id: 'lesson-l1', type: 'range', min: 0, max: L1_VALUES.length - 1, step: 1, 'aria-label': 'L1 strength' }),
  };
  const l1Value = h('output', { class: 'l1-value', for: 'lesson-l1' });
  const l1Field = h('label', { class: 'field lesson-l1' }, h('span', { class: 'field-label' }, 'L1 strength'), h('span', { class: 'l1-row' }, el.l1, l1Value));
  const run = h('button', { id: 'btn-lesson-run', class: 'btn', type: 'button' }, 'Run lesson');
  const stop = h('button', { id: 'btn-lesson-stop', class: 'btn btn-danger', type: 'button', hidden: true }, 'Stop lesson');
  const hintText = h('span', { 'data-testid': 'lesson-hint' });
  const useSuggested = h('button', { class: 'btn-link', type: 'button' }, 'Use these');
  const hint = h('p', { class: 'lesson-hint' }, hintText, useSuggested);
  const optionError = h('p', { class: 'config-error', hidden: true });
  const status = h('div', { class: 'lesson-status', 'data-testid': 'lesson-status', 'aria-live': 'polite' });
  const figure = h('div', { class: 'lesson-figure', 'data-testid': 'lesson-figure' });
  const field = (label, input, extra = null) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, extra);

  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Lessons'), h('span', { class: 'panel-sub' }, 'The chapter\'s questions 1–7 and exercise 8f, each answered by an experiment: one click, then the figure that shows the answer.')),
    tabList,
    h('div', { class: 'lesson-body', id: 'lesson-panel', role: 'tabpanel' },
      h('div', { class: 'lesson-intro' }, question, runList, shared),
      h('div', { class: 'lesson-options' },
        h('div', { class: 'lesson-fields' },
          field('epochs', el.epochs),
          field('records per epoch (0 = all)', el.records),
          field('hidden layers', el.depth),
          field('units per layer', el.width),
          l1Field),
        h('div', { class: 'lesson-actions' }, run, stop),
        hint,
        optionError)),
    status,
    figure,
  );

  let lastState = null;
  let figureKey = '';
  let statusKey = '';
  let backendKey = '';

  /** The selected tab is the one Tab reaches (roving tab index); the others are reached with arrows. */
  function markSelected() {
    for (const button of tabButtons) {
      button.setAttribute('aria-selected', String(button.dataset.lesson === selected));
      button.tabIndex = button.dataset.lesson === selected ? 0 : -1;
    }
  }

  function select(name) {
    selected = name;
    markSelected();
    settings.lesson = name;
    saveSettings(settings);
    figureKey = '';
    statusKey = '';
    app.invalidate();
  }

  /** The quick length for this backend (crate/src/run_length.rs; the backend is ready, so they have come). */
  function suggested() {
    return lastState.lengths.quick;
  }

  /** The form's values, or the backend's suggestion while the user has not touched them. */
  function fill(values) {
    el.epochs.value = values.epochs;
    el.records.value = values.max_train_records;
    el.depth.value = values.depth;
    el.width.value = values.width;
  }

  function readOptions() {
    const int = (input, name, min) => {
      const value = Number(input.value);
      if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${input.value}").`);
      return value;
    };
    return {
      epochs: int(el.epochs, 'epochs', 1),
      max_train_records: int(el.records, 'records per epoch', 0),
      depth: int(el.depth, 'hidden layers', 1),
      width: int(el.width, 'units per layer', 1),
      l1: L1_VALUES[Number(el.l1.value)] ?? DEFAULT_L1,
    };
  }

  let listTimer = 0;
  /** Asks the worker for the lessons at the current options (their runs' labels follow them). */
  function relist() {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => {
      try {
        app.listLessons(readOptions());
      } catch {
        // An invalid field: the Run button reports it.
      }
    }, 250);
  }

  function onEdit() {
    relist();
    settings.touched = true;
    settings.values = { epochs: el.epochs.value, max_train_records: el.records.value, depth: el.depth.value, width: el.width.value };
    saveSettings(settings);
    optionError.hidden = true;
    statusKey = '';
    app.invalidate();
  }
  for (const input of [el.epochs, el.records, el.depth, el.width]) input.addEventListener('input', onEdit);
  el.l1.addEventListener('input', () => {
    settings.l1 = L1_VALUES[Number(el.l1.value)];
    saveSettings(settings);
    setText(l1Value, settings.l1.toExponential());
    relist();
  });
  el.l1.value = Math.max(0, L1_VALUES.indexOf(settings.l1 ?? DEFAULT_L1));
  setText(l1Value, L1_VALUES[Number(el.l1.value)].toExponential());
  useSuggested.addEventListener('click', () => {
    settings.touched = false;
    delete settings.values;
    saveSettings(settings);
    fill(suggested());
    relist();
    statusKey = '';
    app.invalidate();
  });
  run.addEventListener('click', () => {
    try {
      const options = readOptions();
      optionError.hidden = true;
      app.runLesson(selected, options);
    } catch (error) {
      optionError.textContent = `Check the options: ${error.message}`;
      optionError.hidden = false;
    }
  });
  stop.addEventListener('click', () => app.stopLesson());

  function renderRuns(lesson, active, state) {
    if (!lesson) {
      runList.replaceChildren();
      setText(shared, '');
      return;
    }
    const settings = lesson.runs.map((r) => settingsOf(r, state.choices));
    const keys = Object.keys(settings[0]);
    const differs = keys.filter((k) => settings.some((s) => s[k] !== settings[0][k]));
    const common = keys.filter((k) => !differs.includes(k) && settings[0][k]).map((k) => settings[0][k]);
    setText(shared, `Every run: ${common.join(' · ')}. Each trains with early stopping and the best weights restored, as in the exercise.`);
    const chips = lesson.runs.map((r, i) => {
      let stateText = '';
      let runStatus = '';
      if (active?.name === lesson.name) {
        const run = state.runs.find((x) => x.id === active.runIds[i]);
        if (i < active.index || (i === active.index && run && run.status !== 'running' && run.status !== 'paused')) runStatus = run?.status ?? 'finished';
        else if (i === active.index) runStatus = run?.status ?? 'starting';
        else runStatus = 'waiting';
        if (run && (run.status === 'running' || run.status === 'paused')) {
          const p = run.progress;
          stateText = p ? `epoch ${p.epoch} / ${run.config.train.max_epochs}` : 'starting';
        }
      }
      const own = differs.map((k) => settings[i][k]).filter(Boolean).join(', ');
      return h('li', { class: 'lesson-run', 'data-status': runStatus || null },
        h('span', { class: 'lesson-run-chip' }, r.label),
        h('span', { class: 'lesson-run-setup' }, own),
        stateText || runStatus ? h('span', { class: 'lesson-run-state' }, stateText || runStatus) : null);
    });
    runList.replaceChildren(h('span', { class: 'lesson-runs-label' }, `${lesson.runs.length} runs, one after the other:`), h('ol', {}, ...chips));
  }

  return function update(state) {
    lastState = state;
    const { catalog, records, active, failure } = state.lessons;
    if (active && active.name !== selected) select(active.name);
    markSelected();
    for (const button of tabButtons) {
      const name = button.dataset.lesson;
      button.classList.toggle('has-finding', Boolean(records[name]));
      button.classList.toggle('is-running', active?.name === name);
    }
    const lesson = catalog.find((l) => l.name === selected) ?? null;
    setText(question, lesson?.question ?? 'Waiting for the training worker to list the lessons…');
    l1Field.hidden = selected !== 'sparsity';

    const bk = state.backend.trainsOn;
    if (bk !== backendKey && state.backend.status === 'ready') {
      backendKey = bk;
      fill(settings.touched && settings.values ? settings.values : suggested());
      relist();
    }
    if (state.backend.status === 'ready') {
      const s = suggested();
      setText(hintText, `Suggested here: ${s.why}.`);
      useSuggested.hidden = !settings.touched;
    }

    const dataReady = Boolean(state.data.worker?.ready_to_train) && state.data.status !== 'error' && state.backend.status === 'ready';
    run.disabled = !(dataReady && state.phase === 'idle' && !active && lesson);
    run.hidden = Boolean(active);
    stop.hidden = !active;
    for (const input of Object.values(el)) input.disabled = Boolean(active);

    const sk = JSON.stringify([selected, active && { ...active, options: null }, failure, state.runs.filter((r) => active?.runIds.includes(r.id)).map((r) => [r.status, r.progress?.epoch]), lesson?.runs.map((r) => r.label), el.epochs.value, el.records.value, dataReady, state.phase, state.speed?.at, state.runs.length]);
    if (sk !== statusKey) {
      statusKey = sk;
      renderRuns(lesson, active, state);
      status.dataset.state = active ? 'running' : failure?.name === selected ? 'failed' : 'idle';
      if (active) {
        setText(status, `Run ${Math.min(active.index + 1, active.total)} of ${active.total || '…'} · ${active.step}…`);
      } else if (failure?.name === selected) {
        setText(status, failure.message);
      } else if (!dataReady) {
        setText(status, 'The lesson can run once the worker is ready and the first shards are in.');
      } else if (lesson) {
        const records = Number(el.records.value);
        const available = state.data.worker?.loaded?.[0] ?? 0;
        const perEpoch = records > 0 ? Math.min(records, available) : available;
        const time = lessonSeconds(state, lesson, available);
        setText(status, `${lesson.runs.length} runs × ${el.epochs.value} epoch${el.epochs.value === '1' ? '' : 's'} × ${fmtInt(perEpoch)} records = ${fmtInt(lesson.runs.length * Number(el.epochs.value) * perEpoch)} training samples${time === null ? '' : `, ${fmtApprox(time)} here`}. Watch each run live in Progress, Learning curves and Per-layer statistics below.`);
      } else {
        setText(status, '');
      }
    }

    const record = records[selected] ?? null;
    // The placeholder names the lesson's runs: drawn again once the catalog has come.
    const fk = `${selected}|${record?.finished ?? 'none'}|${Boolean(lesson)}|${Boolean(state.choices)}`;
    if (fk !== figureKey) {
      figureKey = fk;
      if (record) {
        renderFinding(figure, record, state.choices);
      } else {
        figure.replaceChildren(h('div', { class: 'lesson-empty', 'data-testid': 'lesson-empty' },
          h('p', {}, lesson ? `No finding yet for this lesson in this browser. Press Run lesson: when its ${lesson.runs.length} runs are done, the figure that answers the question appears here.` : ''),
          lesson ? h('p', { class: 'lesson-expect' }, h('strong', {}, 'What to look for: '), lesson.caption) : null));
      }
    }
    figure.classList.toggle('is-stale', Boolean(active && active.name === selected && record));
    figure.title = active && active.name === selected && record ? `The previous finding (${fmtDate(record.finished)}); the new one replaces it when the lesson ends.` : '';
  };
}
