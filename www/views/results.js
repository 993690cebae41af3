// After training: validation and test accuracy of the restored best weights, and MC Dropout
// (Gal & Ghahramani 2016) against plain inference, with the inference time of each.
import { h, setText, fmtPercent, fmtNumber, fmtDuration, fmtInt, fmtApprox } from './format.js';
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

/**
 * Seconds per forward pass over `split` with the loaded weights: this run's evaluation of that
 * split (an MC pass costs about a plain one), or null when it was not evaluated.
 */
function secondsPerPass(run, split) {
  const r = run?.results ?? {};
  const e = split === 'test' ? r.testHere ?? r.test : r.validHere ?? r.valid;
  return e?.seconds > 0 ? e.seconds / (e.passes || 1) : null;
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
  const mcEstimate = h('p', { class: 'caption', 'data-testid': 'mc-estimate' });
  const mcBar = h('progress', { max: 1, value: 0, 'aria-label': 'MC Dropout passes' });
  const mcProgressText = h('span', { 'data-testid': 'mc-progress', 'aria-live': 'polite' });
  const mcStop = h('button', { id: 'btn-mc-stop', class: 'btn btn-danger', type: 'button', title: 'End MC Dropout after the evaluation under way; the counts done are kept' }, 'Stop');
  const mcProgress = h('div', { class: 'mc-progress', hidden: true }, mcBar, h('div', { class: 'mc-progress-line' }, mcProgressText, mcStop));
  mcStop.addEventListener('click', () => app.stop());
  // The estimate follows the samples and split as they are typed.
  samples.addEventListener('input', () => app.invalidate());
  split.addEventListener('change', () => app.invalidate());
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
    mcEstimate, mcError, mcNote, mcProgress, table);

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
    renderEstimate(state, run);
    const progress = state.mcProgress?.runId === run?.id ? state.mcProgress : null;
    const k = [run?.id, run?.status, run?.results?.valid?.accuracy, run?.results?.validHere?.accuracy, run?.results?.mc?.at, run?.history.epochs.length, loaded, state.phase, progress?.done, progress?.evaluations.length, Boolean(state.choices)].join('|');
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
    const reason = stopReasonText(run.history.stop, state.choices);
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

    mcProgress.hidden = !progress;
    if (progress) {
      renderProgress(progress, run);
      return;
    }
    const mc = r.mc;
    if (!mc) {
      table.replaceChildren();
      return;
    }
    drawTable(mc.split, mc.plain, mc.mc, []);
  };

  /** The results table: plain, the counts computed, and the counts still to come (a line each). */
  function drawTable(splitName, plain, counts, pending) {
    const row = (label, e, testid) => h('tr', { 'data-testid': testid },
      h('td', {}, label), h('td', { class: 'num' }, fmtInt(e.passes)), h('td', { class: 'num' }, fmtPercent(e.accuracy, 2)),
      h('td', { class: 'num' }, e === plain ? '' : `${e.accuracy >= plain.accuracy ? '+' : '−'}${fmtNumber(Math.abs(100 * (e.accuracy - plain.accuracy)), 2)} pt`),
      h('td', { class: 'num' }, fmtNumber(e.loss, 4)), h('td', { class: 'num' }, fmtDuration(e.seconds)),
      h('td', { class: 'num' }, e === plain ? '1×' : `${fmtNumber(e.seconds / Math.max(plain.seconds, 1e-9), 2)}×`));
    const waiting = (label, n, text) => h('tr', { class: 'mc-pending' }, h('td', {}, label), h('td', { class: 'num' }, fmtInt(n)), h('td', { colspan: 5 }, text));
    table.replaceChildren(
      h('caption', {}, `On the ${splitName === 'test' ? 'test' : 'validation'} set${plain ? ` (${fmtInt(plain.records)} images)` : ''}`),
      h('thead', {}, h('tr', {}, ...['Inference', 'Passes', 'Accuracy', 'vs plain', 'Loss', 'Time', 'Cost'].map((t) => h('th', {}, t)))),
      h('tbody', {}, plain ? row('Plain (dropout off)', plain, 'mc-plain') : waiting('Plain (dropout off)', 1, 'running…'),
        ...counts.map((e, i) => row(`MC Dropout, N = ${e.passes}`, e, `mc-row-${i}`)),
        ...pending.map((n, i) => waiting(`MC Dropout, N = ${n}`, n, i === 0 && plain ? 'running…' : 'waiting'))));
  }

  /** MC Dropout under way: passes done of all, the time left at the pace so far, Stop. */
  function renderProgress(progress, run) {
    const [plain, ...counts] = progress.evaluations;
    mcBar.max = progress.total;
    mcBar.value = progress.done;
    const elapsed = (performance.now() - progress.startedAt) / 1000;
    const pace = progress.done > 0 ? elapsed / progress.done : secondsPerPass(run, progress.split);
    const left = pace ? ` · ${fmtApprox(pace * (progress.total - progress.done))} left` : '';
    const now = progress.done === 0 ? 'the plain evaluation' : `N = ${fmtInt(progress.next)}`;
    setText(mcProgressText, `MC Dropout: ${fmtInt(progress.done)} of ${fmtInt(progress.total)} passes done; ${now} running${left}.`);
    mcStop.disabled = lastState?.phase !== 'mc';
    drawTable(progress.split, plain ?? null, counts, progress.samples.slice(counts.length));
  }

  /** Before a start: how long the N passes will take, at the speed of a plain evaluation here. */
  function renderEstimate(state, run) {
    let text = '';
    const per = secondsPerPass(run, split.value);
    if (!state.mcProgress && run?.config.model.dropout && per) {
      try {
        const passes = 1 + parseSamples(samples.value).reduce((a, n) => a + n, 0);
        text = `Takes ${fmtApprox(per * passes)}: ${fmtInt(passes)} passes over the ${split.value === 'test' ? 'test' : 'validation'} set (the plain one and N for each count) at ${fmtDuration(per)} a pass, the plain evaluation's time here.`;
      } catch {
        // The samples field says what is wrong when Run is clicked.
      }
    }
    setText(mcEstimate, text);
  }
}
