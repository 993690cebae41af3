// The comparison of the runs chosen in the runs table (2 to 4): their learning curves, a per-layer
// statistic, gradient norms and update-to-weight ratios against depth, each on one set of axes
// with one colour per run, under the list of the settings in which they differ. The columns come
// from app/comparison.js, drawn as they are.
import { h, setText, fmtNumber, fmtPercent, fmtInt } from './format.js';
import { createChart, axis, colors, logTicks, logSplits, lastValue, WHOLE_STEPS } from './chart.js';
import { panel, layerAxis, fmt3 } from './layer-stats.js';
import { HEALTHY_BAND, shadeBand, logRange } from './update-ratio.js';
import { DEPTH_STATISTICS, comparedRuns, comparisonData } from '../app/comparison.js';

const colorOf = (index) => colors.overlay[index % colors.overlay.length];
// Legends show each series' last value, or the value under the pointer.
const fmtLoss = lastValue((u, v) => (v == null ? '—' : fmtNumber(v, 4)));
const fmtAcc = lastValue((u, v) => (v == null ? '—' : fmtPercent(v)));
const logAxis = () => axis({ size: 60, splits: logSplits, values: logTicks((v, e) => `1e${e}`) });
const epochAxis = () => axis({ label: 'epoch', size: 30, labelSize: 22, incrs: WHOLE_STEPS, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v : '')) });

function showValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Math.abs(value) > 0 && Math.abs(value) < 1e-3 ? value.toExponential(1) : String(value);
  return String(value);
}

/** Where a probe was taken, for a legend. */
function probeLabel(probe) {
  if (!probe) return 'no probe';
  if (probe.restored) return 'restored best';
  return probe.step === 0 ? 'init' : `step ${fmtInt(probe.step)}`;
}

export function createCompare(container, app) {
  const sub = h('span', { class: 'panel-sub', 'data-testid': 'compare-runs' });
  const differences = h('div', { class: 'compare-differences', 'data-testid': 'compare-differences' });
  const epoch = h('select', { id: 'compare-epoch', 'aria-label': 'Probe compared' });
  const statistic = h('select', { id: 'compare-statistic', 'aria-label': 'Statistic against depth' },
    ...Object.entries(DEPTH_STATISTICS).map(([value, label]) => h('option', { value }, label)));
  epoch.addEventListener('change', () => app.chooseComparison({ epoch: epoch.value === 'end' ? null : Number(epoch.value) }));
  statistic.addEventListener('change', () => app.chooseComparison({ statistic: statistic.value }));

  const loss = panel('Loss', 'Solid: validation, at each epoch\'s end; dashed: training, the epoch\'s mean.');
  const acc = panel('Accuracy', 'Solid: validation; dashed: training.');
  const depth = panel('Per layer', 'Each run\'s probe at the chosen epoch: the last one taken by its end, or at the end of the run (the restored best weights).', { third: true });
  const depthTitle = depth.el.querySelector('h3');
  const grad = panel('Gradient norm per layer (log scale)', 'The same probes: level across depth is healthy; falling towards layer 1 means vanishing gradients.', { third: true });
  const ratio = panel('Update-to-weight ratio per layer (log scale)', `The last probe that followed a step, by the chosen epoch; shaded: ${HEALTHY_BAND[0]} to ${HEALTHY_BAND[1]}.`, { third: true });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Compare runs'), sub),
    differences,
    h('div', { class: 'compare-choice' },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'per-layer statistics at'), epoch),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'statistic against depth'), statistic)),
    h('div', { class: 'stat-grid' }, loss.el, acc.el, depth.el, grad.el, ratio.el));
  const charts = {
    loss: createChart(loss.box, { height: 230 }),
    accuracy: createChart(acc.box, { height: 230 }),
    depth: createChart(depth.box, { height: 210, empty: 'No probe by this epoch.' }),
    gradNorm: createChart(grad.box, { height: 210, empty: 'No probe by this epoch.' }),
    updateRatio: createChart(ratio.box, { height: 210, empty: 'No probe after a step by this epoch.' }),
  };
  let key = '';

  function drawDifferences(data) {
    if (!data.differences.length) {
      differences.replaceChildren(h('p', { class: 'caption' }, 'Their settings are the same (seed, data order and backend aside, any difference is chance).'));
      return;
    }
    const head = h('tr', {}, h('th', {}, 'Differs'), ...data.runs.map((r, i) => h('th', { style: `color:${colorOf(i)}` }, r.name)));
    const rows = data.differences.map((d) => h('tr', {}, h('td', {}, d.setting), ...d.values.map((v) => h('td', {}, showValue(v)))));
    differences.replaceChildren(h('table', { class: 'data-table compare-table' }, h('thead', {}, head), h('tbody', {}, ...rows)));
  }

  function drawEpochs(chart, columns, data, format, yAxis) {
    if (!columns.x.length) {
      chart.update(null);
      return;
    }
    const series = columns.series.map((s) => ({
      label: `${data.runs[s.run].name} ${s.split}`,
      stroke: colorOf(s.run),
      width: s.split === 'valid' ? 2 : 1.5,
      dash: s.split === 'valid' ? undefined : [6, 4],
      points: { size: s.split === 'valid' ? 5 : 3 },
      spanGaps: true,
      value: format,
    }));
    chart.update([columns.x, ...columns.series.map((s) => s.y)], {
      scales: { x: { time: false }, ...yAxis.scales },
      axes: [epochAxis(), yAxis.axis],
      series: [{ label: 'epoch' }, ...series],
    }, `${data.runs.map((r) => r.id).join(',')}|${series.length}`);
  }

  function drawDepth(chart, columns, data, { log = false, band = false } = {}) {
    if (!columns.x.length || columns.series.every((s) => s.y.every((v) => v === null))) {
      chart.update(null);
      return;
    }
    const layers = columns.x.length;
    chart.update([columns.x, ...columns.series.map((s) => s.y)], {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: log ? { distr: 3, log: 10, ...(band ? { range: logRange } : {}) } : {} },
      axes: [layerAxis(), log ? logAxis() : axis({ size: 56 })],
      series: [{ label: 'layer' }, ...columns.series.map((s) => ({
        label: `${data.runs[s.run].name} (${probeLabel(s.probe)})`, stroke: colorOf(s.run), width: 2, points: { size: 5 }, value: fmt3,
      }))],
      hooks: band ? { drawClear: [shadeBand(HEALTHY_BAND)] } : {},
      legend: { live: false },
    }, `${data.runs.map((r) => r.id).join(',')}|${layers}|${columns.series.map((s) => probeLabel(s.probe)).join(',')}`);
  }

  return function update(state) {
    const runs = comparedRuns(state);
    const choice = state.comparison;
    const k = JSON.stringify([runs.map((r) => [r.id, r.name, r.history.epochs.length, r.history.probes.length]), choice]);
    if (k === key) return;
    key = k;
    const tooFew = runs.length < 2;
    container.classList.toggle('is-empty', tooFew);
    setText(sub, tooFew
      ? `Choose 2 to 4 runs in the Compare column of the runs table to draw them on the same axes${runs.length ? ` (1 chosen: ${runs[0].name})` : ''}.`
      : runs.map((r) => r.name).join(' · '));
    if (tooFew) {
      for (const chart of Object.values(charts)) chart.update(null);
      return;
    }
    const data = comparisonData(runs, choice);
    const epochs = Math.max(...runs.map((r) => r.history.epochs.at(-1)?.epoch ?? 0));
    epoch.replaceChildren(
      h('option', { value: 'end' }, 'the end of each run'),
      h('option', { value: '0' }, 'initialization'),
      ...Array.from({ length: epochs }, (_, i) => h('option', { value: String(i + 1) }, `epoch ${i + 1}`)));
    epoch.value = choice.epoch === null ? 'end' : String(choice.epoch);
    statistic.value = data.statistic;
    depthTitle.textContent = `${DEPTH_STATISTICS[data.statistic]} per layer`;

    drawDifferences(data);
    drawEpochs(charts.loss, data.loss, data, fmtLoss, { axis: axis({ label: 'cross-entropy', size: 56 }), scales: {} });
    drawEpochs(charts.accuracy, data.accuracy, data, fmtAcc, {
      axis: axis({ label: 'accuracy', size: 56, values: (u, splits) => splits.map((v) => `${Math.round(v * 100)} %`) }),
      scales: {},
    });
    drawDepth(charts.depth, data.depth, data);
    drawDepth(charts.gradNorm, data.gradNorm, data, { log: true });
    drawDepth(charts.updateRatio, data.updateRatio, data, { log: true, band: true });
  };
}
