// Per-layer statistics (DESIGN decision 7), the heart of the product: for a chosen probe (the
// latest by default) the mean and std of each hidden layer's activations and pre-activations
// against depth, with the first probe faded for comparison; a layer × time heatmap of the
// activation std; saturated and dead fractions; gradient norms on a log scale; unit spread.
import { h, setText, fmtNumber, fmtPercent, fmtInt } from '../format.js';
import { createChart, axis, colors, fade, referenceLines, logTicks, logSplits } from '../chart.js';
import { createHeatmap } from './heatmap.js';

const HEATMAP_METRICS = {
  act_std: 'activation std',
  pre_std: 'pre-activation std',
};

function panel(title, caption, { wide = false, third = false } = {}) {
  const box = h('div', { class: 'chart' });
  const el = h('figure', { class: `stat-panel${wide ? ' stat-wide' : ''}${third ? ' stat-third' : ''}` }, h('h3', {}, title), box, h('figcaption', { class: 'caption' }, caption));
  return { el, box };
}

const layerAxis = () => axis({ label: 'hidden layer (1 = input side)', size: 28, labelSize: 20, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v : '')) });
const fmt3 = (u, v) => (v == null ? '—' : fmtNumber(v, 3));
const fmtPct = (u, v) => (v == null ? '—' : fmtPercent(v));

/** A y range that always shows the reference lines at 0 and 1. */
function withReferences(lo, hi) {
  const bottom = Math.min(lo ?? 0, -0.25);
  const top = Math.max(hi ?? 1, 1.25);
  const pad = (top - bottom) * 0.05;
  return [bottom - pad, top + pad];
}

export function createLayerStats(container, app) {
  const runName = h('span', { class: 'panel-sub', 'data-testid': 'layer-stats-run' });
  const slider = h('input', { id: 'probe-slider', type: 'range', min: 0, max: 0, step: 1, value: 0, disabled: true, 'aria-label': 'Probe shown' });
  const probeLabel = h('span', { class: 'probe-label', 'data-testid': 'probe-label' });
  const follow = h('button', { class: 'btn btn-small', type: 'button', 'data-testid': 'probe-follow' }, 'Latest');
  const diagnosis = h('p', { class: 'diagnosis', 'data-testid': 'diagnosis' });
  const metric = h('select', { id: 'heatmap-metric', 'aria-label': 'Heatmap quantity' },
    ...Object.entries(HEATMAP_METRICS).map(([value, label]) => h('option', { value }, label)));

  const act = panel('Activations: mean and std per layer',
    'Output of each hidden layer. At initialization a self-normalizing net (SELU + LeCun normal init + standardized inputs) has mean ≈ 0 and std ≈ 1 (dashed lines) through all the layers, while ELU + He drifts with depth. Faded: the first probe, before training; compare it with the latest to see what training does.');
  const pre = panel('Pre-activations: mean and std per layer',
    'Input of the activation function (after batch norm when it is on). Batch norm re-centres and re-scales it at every layer; without it, any drift compounds with depth.');
  const heat = panel('Activation std over training', '', { wide: true });
  const heatCaption = heat.el.querySelector('figcaption');
  heatCaption.textContent = 'Each column is a probe, each row a hidden layer. White: std ≈ 1, a healthy signal. Blue: the signal shrinks (vanishing); red: it grows (exploding). Click a column to inspect that probe above and below.';
  heat.el.querySelector('h3').append(h('span', { class: 'h3-control' }, metric));
  const sat = panel('Saturated and dead units',
    'Saturated: activations in a flat part of the function (ELU/SELU: z < −3; tanh: |z| > 2; sigmoid: |z| > 3), where the gradient is ≈ 0. Dead: units whose input is ≤ 0 on every probe image; a dead ReLU never recovers.', { third: true });
  const grad = panel('Gradient norm per layer (log scale)',
    'L2 norm of the loss gradient for each layer\'s kernel. Roughly level is healthy; falling towards layer 1 means vanishing gradients (the first layers barely learn), rising means exploding ones.', { third: true });
  const spread = panel('Unit spread per layer',
    'Std across a layer\'s units, averaged over images. 0 means every unit computes the same function: with identical initial weights the symmetry is never broken.', { third: true });

  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Per-layer statistics'), runName),
    h('div', { class: 'probe-bar' }, h('label', { class: 'probe-control' }, h('span', {}, 'Probe'), slider), probeLabel, follow),
    diagnosis,
    h('div', { class: 'stat-grid' }, act.el, pre.el, heat.el, grad.el, sat.el, spread.el),
    h('p', { class: 'caption' }, 'Measured on a fixed batch of up to 256 validation images, in inference mode (no dropout; batch norm uses its running averages), every few steps while training.'),
  );

  const empty = 'Statistics appear with the first probe, taken before the first training step.';
  const charts = {
    act: createChart(act.box, { height: 230, empty }),
    pre: createChart(pre.box, { height: 230, empty }),
    sat: createChart(sat.box, { height: 210, empty }),
    grad: createChart(grad.box, { height: 210, empty }),
    spread: createChart(spread.box, { height: 210, empty }),
  };
  let selected = null; // null: follow the latest probe
  let key = '';
  let lastRun = null;
  const heatmap = createHeatmap(heat.box, {
    empty: 'One column per probe appears here as training goes.',
    onPick(index) {
      selected = index;
      key = '';
      app.invalidate();
    },
  });

  slider.addEventListener('input', () => {
    const n = lastRun?.history.probes.length ?? 0;
    const value = Number(slider.value);
    selected = value >= n - 1 ? null : value;
    key = '';
    app.invalidate();
  });
  follow.addEventListener('click', () => {
    selected = null;
    key = '';
    app.invalidate();
  });
  metric.addEventListener('change', () => {
    key = '';
    app.invalidate();
  });

  function depthChart(chart, probe, first, meanKey, stdKey, layers, runId) {
    const xs = Array.from({ length: layers }, (_, i) => i + 1);
    const series = [
      { label: 'layer' },
      { label: 'mean', stroke: colors.mean, width: 2, points: { size: 5 }, value: fmt3 },
      { label: 'std', stroke: colors.std, width: 2, points: { size: 5 }, value: fmt3 },
    ];
    const data = [xs, probe.stats[meanKey], probe.stats[stdKey]];
    if (first && first !== probe) {
      series.push(
        { label: 'first mean', stroke: fade(colors.mean, 0.35), width: 1.5, dash: [4, 3], points: { show: false }, value: fmt3 },
        { label: 'first std', stroke: fade(colors.std, 0.35), width: 1.5, dash: [4, 3], points: { show: false }, value: fmt3 },
      );
      data.push(first.stats[meanKey], first.stats[stdKey]);
    }
    chart.update(data.map((col, i) => (i === 0 ? col : col.map((v) => (Number.isFinite(v) ? v : null)))), {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: { range: (u, lo, hi) => withReferences(lo, hi) } },
      axes: [layerAxis(), axis({ size: 52 })],
      series,
      hooks: { draw: [referenceLines([0, 1])] },
      legend: { live: false },
    }, `${runId}|${layers}|${series.length}`);
  }

  return function update(state) {
    const run = state.runs.find((r) => r.id === state.viewRunId) ?? null;
    if (run !== lastRun) {
      selected = null;
      lastRun = run;
    }
    const probes = run?.history.probes ?? [];
    const k = `${run?.id}|${probes.length}|${selected}|${metric.value}`;
    if (k === key) return;
    key = k;
    setText(runName, run ? run.name : '');
    slider.max = Math.max(0, probes.length - 1);
    slider.disabled = probes.length < 2;
    if (!probes.length) {
      for (const chart of Object.values(charts)) chart.update(null);
      heatmap.update(null);
      setText(probeLabel, run ? 'No probe yet.' : 'No run on view.');
      setText(diagnosis, '');
      follow.disabled = true;
      return;
    }
    const index = selected === null ? probes.length - 1 : Math.min(selected, probes.length - 1);
    slider.value = index;
    follow.disabled = selected === null;
    const probe = probes[index];
    const first = probes[0];
    const layers = probe.stats.act_std.length;
    setText(probeLabel, `${index + 1} of ${probes.length} · step ${fmtInt(probe.step)} · epoch ${fmtNumber(probe.epoch, 3)}${selected === null ? ' (latest)' : ''}`);
    const s = probe.stats;
    const ratio = s.grad_norm[0] > 0 && s.grad_norm[layers - 1] > 0 ? s.grad_norm[layers - 1] / s.grad_norm[0] : null;
    let gradText = '';
    if (ratio !== null) {
      if (ratio > 1.5) gradText = ` Gradient norm at layer 1 is ${fmtNumber(ratio, 2)}× smaller than at layer ${layers}.`;
      else if (ratio < 1 / 1.5) gradText = ` Gradient norm at layer 1 is ${fmtNumber(1 / ratio, 2)}× larger than at layer ${layers}.`;
      else gradText = ` Gradient norms are level across layers (layer ${layers} / layer 1 = ${fmtNumber(ratio, 2)}).`;
    }
    setText(diagnosis, `Activation std: ${fmtNumber(s.act_std[0], 3)} at layer 1 → ${fmtNumber(s.act_std[layers - 1], 3)} at layer ${layers}; mean ${fmtNumber(s.act_mean[0], 2)} → ${fmtNumber(s.act_mean[layers - 1], 2)}.${gradText}`);

    depthChart(charts.act, probe, first, 'act_mean', 'act_std', layers, run.id);
    depthChart(charts.pre, probe, first, 'pre_mean', 'pre_std', layers, run.id);

    const xs = Array.from({ length: layers }, (_, i) => i + 1);
    charts.sat.update([xs, s.saturated, s.dead], {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: { range: (u, lo, hi) => [0, Math.max(0.1, Math.min(1, Math.ceil((hi ?? 0) * 10) / 10))] } },
      axes: [layerAxis(), axis({ size: 52, values: (u, splits) => splits.map((v) => `${Math.round(v * 100)} %`) })],
      series: [{ label: 'layer' },
        { label: 'saturated', stroke: colors.saturated, fill: fade(colors.saturated, 0.08), width: 2, points: { size: 5 }, value: fmtPct },
        { label: 'dead', stroke: colors.dead, width: 2, dash: [5, 3], points: { size: 5 }, value: fmtPct }],
      legend: { live: false },
    }, `${run.id}|${layers}`);

    const positive = (col) => col.map((v) => (Number.isFinite(v) && v > 0 ? v : null));
    const gradData = [xs, positive(s.grad_norm)];
    const gradSeries = [{ label: 'layer' }, { label: 'grad norm', stroke: colors.grad, width: 2, points: { size: 5 }, value: fmt3 }];
    if (first !== probe) {
      gradData.push(positive(first.stats.grad_norm));
      gradSeries.push({ label: 'first', stroke: fade(colors.grad, 0.35), width: 1.5, dash: [4, 3], points: { show: false }, value: fmt3 });
    }
    if (gradData.slice(1).some((col) => col.some((v) => v !== null))) {
      charts.grad.update(gradData, {
        scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: { distr: 3, log: 10 } },
        axes: [layerAxis(), axis({ size: 60, splits: logSplits, values: logTicks((v, e) => (e >= -2 && e <= 3 ? String(v) : `1e${e}`)) })],
        legend: { live: false },
        series: gradSeries,
      }, `${run.id}|${layers}|${gradSeries.length}`);
    } else {
      charts.grad.setEmptyText('Every gradient norm is 0 (or not finite) in this probe.');
      charts.grad.update(null);
    }

    const spreadData = [xs, s.unit_spread];
    const spreadSeries = [{ label: 'layer' }, { label: 'unit spread', stroke: colors.spread, width: 2, points: { size: 5 }, value: fmt3 }];
    if (first !== probe) {
      spreadData.push(first.stats.unit_spread);
      spreadSeries.push({ label: 'first', stroke: fade(colors.spread, 0.35), width: 1.5, dash: [4, 3], points: { show: false }, value: fmt3 });
    }
    charts.spread.update(spreadData, {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: { range: (u, lo, hi) => [0, Math.max(hi ?? 1, 0.1) * 1.08] } },
      axes: [layerAxis(), axis({ size: 52 })],
      series: spreadSeries,
      legend: { live: false },
    }, `${run.id}|${layers}|${spreadSeries.length}`);

    const key2 = metric.value;
    heatmap.update({
      layers,
      columns: probes.map((p) => ({ epoch: p.epoch, step: p.step, values: p.stats[key2] })),
      selected: index,
      label: HEATMAP_METRICS[key2],
    });
  };
}
