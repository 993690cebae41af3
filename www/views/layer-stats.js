// Per-layer statistics (DESIGN decision 7), the heart of the product: for a chosen probe (the
// latest by default) the mean and std of each hidden layer's activations and pre-activations
// against depth, with the first probe faded for comparison; a layer × time heatmap of the
// activation std; saturated and dead fractions; gradient norms on a log scale; unit spread.
import { h, setText, fmtNumber, fmtPercent, fmtInt } from './format.js';
import { createChart, axis, colors, fade, referenceLines, logTicks, logSplits, WHOLE_STEPS } from './chart.js';
import { createHeatmap } from './heatmap.js';
import { createVerdict, verdictSentence, fanInNote } from './verdict.js';

const HEATMAP_METRICS = {
  act_std: 'activation std',
  pre_std: 'pre-activation std',
};

/** A titled chart box with its caption, for the grids of per-layer plots. */
export function panel(title, caption, { wide = false, third = false } = {}) {
  const box = h('div', { class: 'chart' });
  const el = h('figure', { class: `stat-panel${wide ? ' stat-wide' : ''}${third ? ' stat-third' : ''}` }, h('h3', {}, title), box, h('figcaption', { class: 'caption' }, caption));
  return { el, box };
}

export const layerAxis = () => axis({ label: 'hidden layer (1 = input side)', size: 30, labelSize: 22, incrs: WHOLE_STEPS, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v : '')) });
export const fmt3 = (u, v) => (v == null ? '—' : fmtNumber(v, 3));
const fmtPct = (u, v) => (v == null ? '—' : fmtPercent(v));

// Verdict thresholds, stated in the verdict text: the activation std of the last hidden layer
// against the first's, and the gradient norm of the first layer against the last's.
export const SIGNAL_FACTOR = 2;
export const GRADIENT_FACTOR = 10;

/** 'vanishing', 'healthy' or 'exploding' for a ratio, level within ×`factor` either way. */
export function verdictOf(ratio, factor) {
  if (ratio < 1 / factor) return 'vanishing';
  if (ratio > factor) return 'exploding';
  return 'healthy';
}

/** The verdicts on one probe's statistics, with the ratios they rest on (null when not finite). */
export function layerVerdicts(stats) {
  const last = stats.act_std.length - 1;
  const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null);
  const signal = ratio(stats.act_std[last], stats.act_std[0]);
  const gradient = ratio(stats.grad_norm[0], stats.grad_norm[last]);
  return {
    signal: signal === null ? null : { ratio: signal, verdict: verdictOf(signal, SIGNAL_FACTOR) },
    gradient: gradient === null ? null : { ratio: gradient, verdict: verdictOf(gradient, GRADIENT_FACTOR) },
  };
}

// Vanishing and exploding signals are claims about an untrained net; a trained one has learnt its
// scales, so past the first step the same rule only says how the std changes with depth.
const TRAINED_SIGNAL = { healthy: 'level across depth', vanishing: 'shrinks with depth', exploding: 'grows with depth' };

/** When the probe was taken, for the verdict. */
function probeWhen(probe) {
  if (probe.step === 0) return 'At initialization';
  if (probe.weights?.kind === 'restored-best') return `After the run (restored best epoch ${probe.weights.epoch})`;
  return `After ${fmtInt(probe.step)} steps`;
}

/** The figures under the verdict: when the probe was taken, then each verdict and its threshold. */
function diagnosisText(probe) {
  const s = probe.stats;
  const layers = s.act_std.length;
  const { signal, gradient } = layerVerdicts(s);
  const initial = probe.step === 0;
  const restored = probe.weights?.kind === 'restored-best';
  const when = initial ? 'At initialization (before any training step)'
    : restored ? `After the run: the restored weights of its best epoch (${probe.weights.epoch})`
      : `After ${fmtInt(probe.step)} steps (epoch ${fmtNumber(probe.epoch, 3)})`;
  const parts = [`${when}:`];
  if (signal) {
    const rule = initial ? `healthy within ×${SIGNAL_FACTOR} either way, vanishing below 1/${SIGNAL_FACTOR}, exploding above ${SIGNAL_FACTOR}` : `level within ×${SIGNAL_FACTOR} either way`;
    parts.push(`signal ${initial ? signal.verdict : TRAINED_SIGNAL[signal.verdict]}. Activation std: ${fmtNumber(s.act_std[0], 3)} at layer 1 → ${fmtNumber(s.act_std[layers - 1], 3)} at layer ${layers} (×${fmtNumber(signal.ratio, 2)}; ${rule}); mean ${fmtNumber(s.act_mean[0], 2)} → ${fmtNumber(s.act_mean[layers - 1], 2)}.`);
  } else {
    parts.push('the activation std is not finite or zero at layer 1.');
  }
  if (gradient) {
    parts.push(`Gradients ${gradient.verdict}: layer 1's gradient norm is ${fmtNumber(gradient.ratio, 2)} × layer ${layers}'s (healthy within ×${GRADIENT_FACTOR} either way).`);
  }
  return parts.join(' ');
}

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
  const verdict = createVerdict('diagnosis');
  const diagnosis = verdict.el;
  const metric = h('select', { id: 'heatmap-metric', 'aria-label': 'Heatmap quantity' },
    ...Object.entries(HEATMAP_METRICS).map(([value, label]) => h('option', { value }, label)));

  const act = panel('Activations: mean and std per layer',
    'Output of each hidden layer. Self-normalization is a claim about initialization: a SELU net with LeCun normal init and standardized inputs starts with mean ≈ 0 and std ≈ 1 (dashed lines) in every layer, while ELU + He drifts with depth. Faded: the first probe, taken before any training step. Training then moves the statistics away from 0 and 1 (a trained SELU net with std 3 or 4 does not contradict the claim); what stays healthy is a level std across depth.');
  const pre = panel('Pre-activations: mean and std per layer',
    'Input of the activation function (after batch norm when it is on). Batch norm re-centres and re-scales it at every layer; without it, any drift compounds with depth.');
  const heat = panel('Activation std over training', '', { wide: true });
  const heatCaption = heat.el.querySelector('figcaption');
  heatCaption.textContent = 'Each column is a probe, each row a hidden layer; the colour is the std on a log scale: white = 1, blue smaller, red larger. What tells vanishing or exploding signals is a change down a column (with depth), not the colour itself: a column of one colour is a level signal. Click a column, or focus the map and use the arrow keys, to inspect that probe above and below.';
  heat.el.querySelector('h3').append(h('span', { class: 'h3-control' }, metric));
  const sat = panel('Saturated and dead units',
    'Saturated: activations in a flat part of the function (ELU/SELU: z < −3; tanh: |z| > 2; sigmoid: |z| > 3; Swish: z < −5), where the gradient is ≈ 0. Dead: units whose input is ≤ 0 on every probe image; a dead ReLU never recovers.', { third: true });
  const grad = panel('Gradient norm per layer (log scale)',
    `L2 norm of the loss gradient for each layer's kernel. Level is healthy (layer 1 within ×${GRADIENT_FACTOR} of the last layer); falling towards layer 1 means vanishing gradients (the first layers barely learn), rising means exploding ones.`, { third: true });
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
    setText(runName, run ? run.name : 'Plots of each layer appear with a run\'s first probe, taken before its first training step.');
    container.classList.toggle('is-empty', !run);
    slider.max = Math.max(0, probes.length - 1);
    slider.disabled = probes.length < 2;
    if (!probes.length) {
      for (const chart of Object.values(charts)) chart.update(null);
      heatmap.update(null);
      setText(probeLabel, run ? 'No probe yet.' : 'No run on view.');
      verdict.update('', []);
      follow.disabled = true;
      return;
    }
    const index = selected === null ? probes.length - 1 : Math.min(selected, probes.length - 1);
    slider.value = index;
    follow.disabled = selected === null;
    const probe = probes[index];
    const first = probes[0];
    const layers = probe.stats.act_std.length;
    const weights = probe.weights?.kind === 'restored-best' ? ` · restored best epoch ${probe.weights.epoch}` : '';
    setText(probeLabel, `${index + 1} of ${probes.length} · step ${fmtInt(probe.step)} · epoch ${fmtNumber(probe.epoch, 3)}${weights}${selected === null ? ' (latest)' : ''}`);
    const s = probe.stats;
    const verdicts = layerVerdicts(s);
    verdict.update(verdictSentence(verdicts, { initial: probe.step === 0, when: probeWhen(probe) }),
      [diagnosisText(probe), fanInNote(run.config.model)].filter(Boolean));
    diagnosis.dataset.signal = verdicts.signal?.verdict ?? '';

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
      columns: probes.map((p) => ({ epoch: p.epoch, step: p.step, values: p.stats[key2], restoredEpoch: p.weights?.kind === 'restored-best' ? p.weights.epoch : null })),
      selected: index,
      label: HEATMAP_METRICS[key2],
    });
  };
}
