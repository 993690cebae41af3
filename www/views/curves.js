// Learning curves of the run on view: loss and accuracy per epoch (train as the epoch's mean at
// mid-epoch, validation at the epoch's end, as Géron plots them) plus the per-chunk training loss;
// other runs can be overlaid for comparison (their validation curves, dashed).
import { h, setText, fmtPercent, fmtNumber } from './format.js';
import { createChart, axis, colors, uPlot, verticalMarker, lastValue, WHOLE_STEPS } from './chart.js';
import { MAX_COMPARED } from '../app/library.js';

/** x (fractional epoch) of each chunk loss, from the steps each epoch took. */
export function chunkEpochs(run) {
  const steps = run.history.steps;
  const lastStepOf = new Map();
  for (const s of steps) lastStepOf.set(s.epoch, Math.max(lastStepOf.get(s.epoch) ?? 0, s.step));
  const finished = new Set(run.history.epochs.map((e) => e.epoch));
  const xs = [];
  for (const s of steps) {
    const before = lastStepOf.get(s.epoch - 1) ?? 0;
    const ongoing = run.progress && run.progress.epoch === s.epoch && !finished.has(s.epoch) ? run.progress.steps_in_epoch : null;
    const span = ongoing ?? (lastStepOf.get(s.epoch) - before);
    xs.push(s.epoch - 1 + (s.step - before) / Math.max(1, span));
  }
  return xs;
}

function uniqueAscending(xs, ys) {
  const outX = [];
  const outY = [];
  for (let i = 0; i < xs.length; i++) {
    if (outX.length && xs[i] <= outX.at(-1)) continue;
    outX.push(xs[i]);
    outY.push(Number.isFinite(ys[i]) ? ys[i] : null);
  }
  return [outX, outY];
}

/** Whole tenths around [lo, hi], inside [0, 1], at least 0.1 wide. */
function accuracyRange(lo, hi) {
  let bottom = Math.max(0, Math.floor((lo ?? 0) * 10) / 10);
  let top = Math.min(1, Math.ceil((hi ?? 1) * 10) / 10);
  if (top - bottom < 0.1) {
    bottom = Math.max(0, top - 0.1);
    top = Math.min(1, bottom + 0.1);
  }
  return [bottom, top];
}

// Legends show each series' last value, or the value under the pointer.
const fmtLoss = lastValue((u, v) => (v == null ? '—' : fmtNumber(v, 4)));
const fmtAcc = lastValue((u, v) => (v == null ? '—' : fmtPercent(v)));

export function createCurves(container, app) {
  const title = h('span', { class: 'panel-sub', 'data-testid': 'curves-run' });
  const compare = h('div', { class: 'compare-list', 'data-testid': 'compare-list' });
  const lossBox = h('div', { class: 'chart', id: 'curves-loss' });
  const accBox = h('div', { class: 'chart', id: 'curves-accuracy' });
  const caption = h('p', { class: 'caption' },
    'Solid: the run on view. Train loss and accuracy are means over each epoch, drawn at mid-epoch; validation is measured at each epoch\'s end; ' +
    'the thin line is the training loss averaged over each chunk of steps. The green line marks the best epoch (lowest validation loss), whose weights early stopping restores. ' +
    'Dashed: runs picked for comparison.');
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Learning curves'), title),
    h('div', { class: 'chart-pair' }, h('div', {}, h('h3', {}, 'Loss'), lossBox), h('div', {}, h('h3', {}, 'Accuracy'), accBox)),
    compare, caption);
  const lossChart = createChart(lossBox, { height: 250, empty: 'Train a run (or pick one in the runs table) to see its curves.' });
  const accChart = createChart(accBox, { height: 250, empty: 'Accuracy per epoch appears after the first epoch.' });
  let key = '';
  let compareKey = '';
  let bestEpoch = null;

  return function update(state) {
    const run = state.runs.find((r) => r.id === state.viewRunId) ?? null;
    const overlays = state.runs.filter((r) => r.id !== run?.id && state.overlays.has(r.id));
    const candidates = state.runs.filter((r) => r.id !== run?.id && r.history.epochs.length > 0);
    const full = state.overlays.size >= MAX_COMPARED;
    const ck = `${full}|${candidates.map((r) => `${r.id}:${state.overlays.has(r.id)}:${r.name}`).join('|')}`;
    if (ck !== compareKey) {
      compareKey = ck;
      compare.replaceChildren(...(candidates.length ? [h('span', { class: 'compare-label' }, 'Compare with:')] : []),
        ...candidates.map((r) => {
          const box = h('input', { type: 'checkbox', checked: state.overlays.has(r.id), disabled: full && !state.overlays.has(r.id), 'data-run': r.id });
          box.addEventListener('change', () => app.toggleOverlay(r.id, box.checked));
          return h('label', { class: 'compare-chip' }, box, ` ${r.name}`);
        }));
    }

    const k = [run?.id, run?.history.steps.length, run?.history.epochs.length, run?.status, ...overlays.map((r) => `${r.id}:${r.history.epochs.length}`)].join(',');
    if (k === key) return;
    key = k;
    setText(title, run ? `${run.name}${run.imported ? ' (imported)' : ''}` : 'Loss and accuracy per epoch appear when a run trains.');
    container.classList.toggle('is-empty', !run);
    if (!run || (run.history.steps.length === 0 && run.history.epochs.length === 0)) {
      lossChart.update(null);
      accChart.update(null);
      return;
    }
    bestEpoch = run.history.best_epoch || null;
    const epochs = run.history.epochs;
    const chunkX = chunkEpochs(run);
    const chunk = uniqueAscending(chunkX, run.history.steps.map((s) => s.loss));
    const mid = epochs.map((e) => e.epoch - 0.5);
    const end = epochs.map((e) => e.epoch);
    const lossTables = [chunk, [mid, epochs.map((e) => e.train_loss)], [end, epochs.map((e) => e.val_loss)]];
    const accTables = [[mid, epochs.map((e) => e.train_accuracy)], [end, epochs.map((e) => e.val_accuracy)]];
    const lossSeries = [
      { label: 'train (chunks)', stroke: colors.trainLight, width: 1, points: { show: false }, value: fmtLoss },
      { label: 'train', stroke: colors.train, width: 2, points: { size: 5 }, value: fmtLoss },
      { label: 'valid', stroke: colors.valid, width: 2, points: { size: 5 }, value: fmtLoss },
    ];
    const accSeries = [
      { label: 'train', stroke: colors.train, width: 2, points: { size: 5 }, value: fmtAcc },
      { label: 'valid', stroke: colors.valid, width: 2, points: { size: 5 }, value: fmtAcc },
    ];
    overlays.forEach((r, i) => {
      const color = colors.overlay[i % colors.overlay.length];
      const e = r.history.epochs;
      lossTables.push([e.map((x) => x.epoch), e.map((x) => x.val_loss)]);
      accTables.push([e.map((x) => x.epoch), e.map((x) => x.val_accuracy)]);
      lossSeries.push({ label: `${r.name} valid`, stroke: color, width: 1.5, dash: [6, 4], points: { size: 3 }, value: fmtLoss });
      accSeries.push({ label: `${r.name} valid`, stroke: color, width: 1.5, dash: [6, 4], points: { size: 3 }, value: fmtAcc });
    });
    const clean = (tables) => tables.map(([xs, ys]) => uniqueAscending(xs, ys));
    const shape = `${run.id}|${overlays.map((r) => r.id).join(',')}`;
    const xAxis = axis({ label: 'epoch', size: 30, labelSize: 22, incrs: WHOLE_STEPS, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v : '')) });
    const best = verticalMarker(() => bestEpoch, (x) => `best epoch ${x}`);
    const xSeries = { label: 'epoch', value: (u, v) => (v == null ? '—' : v.toFixed(2)) };
    lossChart.update(uPlot.join(clean(lossTables)), {
      // At least epochs 0 to 1, so that the axis has labels during the first epoch.
      scales: { x: { time: false, range: (u, lo, hi) => [Math.min(0, lo ?? 0), Math.max(1, hi ?? 1)] } },
      axes: [xAxis, axis({ label: 'cross-entropy', size: 56 })],
      series: [xSeries, ...lossSeries.map((s) => ({ ...s, spanGaps: true }))],
      hooks: { draw: [best] },
    }, shape);
    if (epochs.length === 0) {
      accChart.update(null);
    } else {
      accChart.update(uPlot.join(clean(accTables)), {
        scales: { x: { time: false }, y: { range: (u, lo, hi) => accuracyRange(lo, hi) } },
        axes: [xAxis, axis({ label: 'accuracy', size: 56, values: (u, splits) => splits.map((v) => `${Math.round(v * 100)} %`) })],
        series: [xSeries, ...accSeries.map((s) => ({ ...s, spanGaps: true }))],
        hooks: { draw: [best] },
      }, shape);
    }
  };
}
