// The signal-propagation preview (Brock, De & Smith 2021): per-layer statistics of the untrained
// model for the Run form's settings, on validation images and on N(0, 1) inputs, redrawn as the
// form changes, with the previous settings' preview faded behind. Asked for through
// `app.requestPreview`; the worker computes it between two steps of a running job.
import { h, setText, fmtNumber, fmtDuration } from './format.js';
import { createChart, axis, colors, fade, referenceLines, logTicks, logSplits } from './chart.js';
import { panel, layerAxis, fmt3, layerVerdicts, GRADIENT_FACTOR } from './layer-stats.js';
import { createVerdict, verdictSentence, fanInNote } from './verdict.js';

const INPUTS = [['real', 'validation images', colors.train, null], ['gaussian', 'N(0, 1) inputs', colors.valid, [6, 4]]];
const QUANTITIES = { act: 'activations', pre: 'pre-activations' };

/** Column `key` of `stats` (std² for a variance), padded with nulls to `layers`. */
function column(stats, key, layers) {
  const values = key.endsWith('_var') ? stats[key.replace('_var', '_std')].map((s) => s * s) : stats[key];
  return Array.from({ length: layers }, (_, i) => (Number.isFinite(values[i]) ? values[i] : null));
}

/** The settings in a few words: "20 × 100 SELU, lecun-normal, standardize". */
function settingsText({ model, preprocessing }) {
  const extras = [model.batch_norm && 'batch norm', model.input_batch_norm && 'input BN'].filter(Boolean);
  return `${model.depth} × ${model.width} ${model.activation}, ${model.kernel_init.kind} init, ${preprocessing}${extras.length ? `, ${extras.join(', ')}` : ''}`;
}

function gradientText(stats, input) {
  const g = layerVerdicts(stats).gradient;
  if (!g) return '';
  const layers = stats.grad_norm.length;
  return `${input}: layer 1's gradient norm is ${fmtNumber(g.ratio, 2)} × layer ${layers}'s (${g.verdict}; healthy within ×${GRADIENT_FACTOR}).`;
}

export function createPreview(container, app) {
  const status = h('span', { class: 'panel-sub', 'data-testid': 'preview-status' });
  const verdict = createVerdict('preview-verdict');
  const summary = verdict.el;
  const quantity = h('select', { id: 'preview-quantity', 'aria-label': 'Preview quantity' },
    ...Object.entries(QUANTITIES).map(([value, label]) => h('option', { value }, label)));
  const mean = panel('Mean per layer', 'Over units and images. Self-normalizing settings stay at 0 (dashed line).', { third: true });
  const variance = panel('Variance per layer', 'Stays at 1 (dashed line) when the signal neither vanishes nor explodes with depth.', { third: true });
  const grad = panel('Gradient norm per layer (log scale)', 'Of the loss for each kernel, one backward pass. Falling towards layer 1: vanishing gradients.', { third: true });
  mean.el.querySelector('h3').append(h('span', { class: 'h3-control' }, quantity));
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Preview at initialization'), status),
    summary,
    h('div', { class: 'stat-grid' }, mean.el, variance.el, grad.el),
    h('p', { class: 'caption' }, 'The untrained model of the run settings, before pressing Train: solid on the probe batch (the first 256 validation images, preprocessed), dashed on N(0, 1) inputs of the same shape (which separate the init from the data\'s scale); faded, the settings before the last change. Batch norm uses the batch\'s statistics, as the first training step will; dropout is left out. Recomputed as the settings change, between two steps of a running run.'),
  );
  const empty = 'The preview appears once the dataset and the worker are ready.';
  const charts = {
    mean: createChart(mean.box, { height: 200, empty }),
    variance: createChart(variance.box, { height: 200, empty }),
    grad: createChart(grad.box, { height: 200, empty }),
  };
  quantity.addEventListener('change', () => {
    shown = null;
    app.invalidate();
  });
  let shown = null;

  /** One chart of `key` for the current preview and, faded, the previous one. */
  function draw(chart, key, { log = false, references = [] } = {}) {
    const { current, previous } = app.state.preview;
    const runs = [[current, 1], ...(previous ? [[previous, 0.3]] : [])];
    const layers = Math.max(...runs.map(([p]) => p.result.model.depth));
    const xs = Array.from({ length: layers }, (_, i) => i + 1);
    const series = [{ label: 'layer' }];
    const data = [xs];
    for (const [p, alpha] of runs) {
      for (const [input, named, color, dash] of INPUTS) {
        // Before CIFAR-10 is in, the preview runs on the synthetic set (see dataset-feed.js).
        const label = input === 'real' && app.state.data.name === 'synthetic' ? 'synthetic images' : named;
        let values = column(p.result[input], key, layers);
        if (log) values = values.map((v) => (v > 0 ? v : null));
        data.push(values);
        series.push({ label: `${alpha < 1 ? 'before: ' : ''}${label}`, stroke: alpha < 1 ? fade(color, alpha) : color, width: alpha < 1 ? 1.5 : 2, dash, points: { show: alpha === 1, size: 4 }, value: fmt3 });
      }
    }
    const y = log ? { distr: 3, log: 10 } : {};
    const yAxis = log ? axis({ size: 60, splits: logSplits, values: logTicks((v, e) => (e >= -2 && e <= 3 ? String(v) : `1e${e}`)) }) : axis({ size: 52 });
    if (log && !data.slice(1).some((col) => col.some((v) => v !== null))) {
      chart.setEmptyText('Every gradient norm is 0 (or not finite).');
      chart.update(null);
      return;
    }
    chart.update(data, {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y },
      axes: [layerAxis(), yAxis],
      series,
      hooks: { draw: [referenceLines(references)] },
      legend: { live: false },
    }, `${layers}|${series.length}|${log}`);
  }

  return function update(state) {
    try {
      app.requestPreview(app.form.read());
    } catch {
      // An invalid field: the form says so; the preview keeps the last valid settings.
    }
    const { current, pending, error } = state.preview;
    const key = `${state.preview.updates}|${pending}|${error}|${quantity.value}`;
    if (key === shown) return;
    shown = key;
    container.dataset.pending = String(pending);
    if (!current) {
      setText(status, error ? `Not available: ${error}` : pending ? 'computing…' : '');
      for (const chart of Object.values(charts)) chart.update(null);
      return;
    }
    const r = current.result;
    setText(status, `${settingsText(current.config)} · ${r.samples} images · ${fmtDuration(current.seconds)}${pending ? ' · updating…' : ''}${error ? ` · last change not shown: ${error}` : ''}`);
    verdict.update(verdictSentence(layerVerdicts(r.real), { initial: true, when: 'On images, at initialization' }),
      [[gradientText(r.real, 'Images'), gradientText(r.gaussian, 'N(0, 1)')].filter(Boolean).join(' '), fanInNote(r.model)].filter(Boolean));
    const q = quantity.value;
    draw(charts.mean, `${q}_mean`, { references: [0] });
    draw(charts.variance, `${q}_var`, { references: [1] });
    draw(charts.grad, 'grad_norm', { log: true });
  };
}
