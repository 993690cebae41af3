// After training: validation and test accuracy of the restored best weights, and MC Dropout
// (Gal & Ghahramani 2016) against plain inference, with the inference time of each.
import { h, setText, fmtPercent, fmtNumber, fmtDuration, fmtInt } from '../format.js';
import { stopReasonText } from './progress.js';

function metric(label, testid) {
  const value = h('div', { class: 'metric-value', 'data-testid': testid }, '—');
  const sub = h('div', { class: 'metric-sub' });
  return { el: h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, label), value, sub), value, sub };
}

export function parseSamples(text) {
  const values = text.split(/[\s,;]+/).filter(Boolean).map(Number);
  if (!values.length || values.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
    throw new Error('MC Dropout samples must be whole numbers between 1 and 1000, e.g. "10, 100".');
  }
  return values;
}

export function createResults(container, app) {
  const runName = h('span', { class: 'panel-sub', 'data-testid': 'results-run' });
  const stop = h('p', { class: 'results-stop', 'data-testid': 'results-stop' });
  const valid = metric('Validation accuracy', 'valid-accuracy');
  const test = metric('Test accuracy', 'test-accuracy');
  const best = metric('Best epoch', 'best-epoch');
  const samples = h('input', { id: 'mc-samples', type: 'text', value: '10, 100', spellcheck: false, 'aria-label': 'MC Dropout samples' });
  const split = h('select', { id: 'mc-split', 'aria-label': 'Split' }, h('option', { value: 'valid' }, 'validation'), h('option', { value: 'test' }, 'test'));
  const runMc = h('button', { id: 'btn-mc', class: 'btn', type: 'button' }, 'Run MC Dropout');
  const load = h('button', { id: 'btn-load-weights', class: 'btn', type: 'button', hidden: true }, 'Load this run\'s weights');
  const mcNote = h('p', { class: 'caption', 'data-testid': 'mc-note' });
  const mcError = h('p', { class: 'config-error', hidden: true });
  const table = h('table', { id: 'mc-results', class: 'data-table' });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Results'), runName),
    stop,
    h('div', { class: 'metric-row' }, valid.el, test.el, best.el),
    h('h3', {}, 'MC Dropout'),
    h('p', { class: 'caption' }, 'Keep dropout on at inference and average the softmax of N forward passes: no retraining, usually a small accuracy gain and better-calibrated probabilities (lower loss), at N times the inference cost.'),
    h('div', { class: 'mc-form' },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'samples (N)'), samples),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'split'), split),
      runMc, load),
    mcError, mcNote, table);

  let lastState = null;
  runMc.addEventListener('click', () => {
    try {
      const values = parseSamples(samples.value);
      mcError.hidden = true;
      app.mcDropout(values, split.value);
    } catch (error) {
      mcError.textContent = error.message;
      mcError.hidden = false;
    }
  });
  load.addEventListener('click', () => lastState?.viewRunId && app.loadWeights(lastState.viewRunId));

  let key = '';
  return function update(state) {
    lastState = state;
    const run = state.runs.find((r) => r.id === state.viewRunId) ?? null;
    const loaded = run && state.loadedRunId === run.id;
    const testLoaded = Boolean(state.data.worker && state.data.worker.expected[2] > 0 && state.data.worker.loaded[2] === state.data.worker.expected[2]);
    split.options[1].disabled = !testLoaded;
    if (!testLoaded && split.value === 'test') split.value = 'valid';
    // Without a dropout layer the N passes would all be plain inference.
    const hasDropout = Boolean(run?.config.model.dropout);
    runMc.disabled = !(loaded && state.phase === 'idle' && hasDropout);
    runMc.title = run && !hasDropout ? 'This model has no dropout layer' : '';
    load.hidden = !run || loaded || !run.hasWeights;
    load.disabled = state.phase !== 'idle' || !state.data.worker?.ready_to_train;
    const k = [run?.id, run?.status, run?.results?.valid?.accuracy, run?.results?.validHere?.accuracy, run?.results?.mc?.at, run?.history.epochs.length, loaded, state.phase].join('|');
    if (k === key) return;
    key = k;
    setText(runName, run?.name ?? 'Accuracy of the best weights appears when a run finishes.');
    container.classList.toggle('is-empty', !run);
    if (!run) {
      setText(stop, 'Results appear when a run finishes (or stops): the best weights are restored and evaluated.');
      for (const m of [valid, test, best]) { setText(m.value, '—'); setText(m.sub, ''); }
      setText(mcNote, '');
      table.replaceChildren();
      return;
    }
    const r = run.results ?? {};
    const reason = stopReasonText(run.history.stop);
    if (run.status === 'finished') setText(stop, `Finished: ${reason ?? 'done'}. Scores of the restored best weights${run.imported ? ', as recorded when the run was exported' : ''}.`);
    else if (run.status === 'running' || run.status === 'paused') setText(stop, 'The run is still going: scores appear when it finishes or is stopped.');
    else setText(stop, `This run ${run.status === 'diverged' ? 'diverged' : run.status === 'interrupted' ? 'was interrupted' : 'failed'}${run.error ? `: ${run.error}` : '.'}`);
    stop.dataset.status = run.status;

    const show = (m, evaluation, here) => {
      const e = evaluation ?? here;
      setText(m.value, e ? fmtPercent(e.accuracy, 2) : '—');
      setText(m.sub, e ? `loss ${fmtNumber(e.loss, 4)} · ${fmtInt(e.records)} images · ${fmtDuration(e.seconds)}${!evaluation && here ? ' (evaluated here)' : ''}` : '');
    };
    show(valid, r.valid, r.validHere);
    show(test, r.test, r.testHere);
    if (!r.test && !r.testHere && run.status === 'finished') setText(test.sub, 'The test shards were not all loaded when the run ended.');
    const bestRecord = run.history.epochs.find((e) => e.epoch === run.history.best_epoch);
    setText(best.value, run.history.best_epoch ? String(run.history.best_epoch) : '—');
    setText(best.sub, bestRecord ? `val loss ${fmtNumber(bestRecord.val_loss, 4)}, of ${run.history.epochs.length} epochs` : '');

    const dropout = run.config.model.dropout;
    let note = '';
    const withDropout = state.variants.find((v) => v.model.dropout);
    if (!dropout) note = `MC Dropout is off for this run: its model has no dropout layer, so every pass would be the same plain inference.${withDropout ? ` Train the ${withDropout.label ?? withDropout.name} variant to try it.` : ''}`;
    if (!loaded && dropout) {
      if (run.hasWeights) note = `${note} Load this run's best weights to run MC Dropout on them.`.trim();
      else if (run.status === 'running' || run.status === 'paused') note = `${note} MC Dropout is available once the run finishes.`.trim();
      else note = `${note} No weights are stored for this run (only finished runs keep theirs).`.trim();
    }
    setText(mcNote, note);

    const mc = r.mc;
    if (!mc) {
      table.replaceChildren();
      return;
    }
    const plainSeconds = mc.plain.seconds;
    const row = (label, e, testid) => h('tr', { 'data-testid': testid },
      h('td', {}, label), h('td', { class: 'num' }, fmtInt(e.passes)), h('td', { class: 'num' }, fmtPercent(e.accuracy, 2)),
      h('td', { class: 'num' }, e === mc.plain ? '' : `${e.accuracy >= mc.plain.accuracy ? '+' : '−'}${fmtNumber(Math.abs(100 * (e.accuracy - mc.plain.accuracy)), 2)} pt`),
      h('td', { class: 'num' }, fmtNumber(e.loss, 4)), h('td', { class: 'num' }, fmtDuration(e.seconds)),
      h('td', { class: 'num' }, e === mc.plain ? '1×' : `${fmtNumber(e.seconds / Math.max(plainSeconds, 1e-9), 2)}×`));
    table.replaceChildren(
      h('caption', {}, `On the ${mc.split === 'test' ? 'test' : 'validation'} set (${fmtInt(mc.plain.records)} images)`),
      h('thead', {}, h('tr', {}, ...['Inference', 'Passes', 'Accuracy', 'vs plain', 'Loss', 'Time', 'Cost'].map((t) => h('th', {}, t)))),
      h('tbody', {}, row('Plain (dropout off)', mc.plain, 'mc-plain'), ...mc.mc.map((e, i) => row(`MC Dropout, N = ${e.passes}`, e, `mc-row-${i}`))));
  };
}
