// The figure that answers each lesson's question, drawn from its last finding (app/lessons.js): a
// record holding the finding the wasm module computed, the runs' loss histories and the options
// the lesson ran with. `renderFinding(container, record, choices)` replaces the container's content
// (`choices`: the wasm module's options and their names, `state.choices`).
import { h, fmtPercent, fmtNumber, fmtDuration, fmtLr, fmtInt, fmtDate, choiceName } from './format.js';
import { createChart, axis, colors, logSplits, logTicks, verticalMarker } from './chart.js';
import { chunkEpochs } from './curves.js';
import { orderedRuns } from '../app/lessons.js';

const PALETTE = ['#2563eb', '#dc2626', '#0f766e', '#7c3aed', '#ea580c', '#ca8a04'];
/** One colour per activation, the same in every small multiple. */
const ACTIVATION_COLORS = { elu: '#2563eb', selu: '#0f766e', relu: '#dc2626', 'leaky-relu': '#ea580c', tanh: '#7c3aed', sigmoid: '#a16207', swish: '#be185d' };
/** The choices (`state.choices`) of the finding being drawn: they name the activations. */
let choices = null;

const finite = (v) => (Number.isFinite(v) ? v : null);
const fmtPct = (u, v) => (v == null ? '—' : fmtPercent(v));
const fmt3 = (u, v) => (v == null ? '—' : fmtNumber(v, 3));
const intTicks = (u, splits) => splits.map((v) => (Number.isInteger(v) ? v : ''));
const pctTicks = (u, splits) => splits.map((v) => `${Math.round(v * 100)} %`);

function colorFor(lesson, label, index) {
  if (lesson === 'activations') return ACTIVATION_COLORS[label] ?? PALETTE[index % PALETTE.length];
  return PALETTE[index % PALETTE.length];
}

function displayLabel(lesson, label) {
  return lesson === 'activations' ? choiceName(choices, 'activation', label) : label;
}

/** A titled figure cell with a chart box; `span` columns of the figure grid (of 6). */
function cell(title, { span = 3, note = null } = {}) {
  const box = h('div', { class: 'chart' });
  const el = h('figure', { class: `lesson-cell span-${span}` }, h('h4', {}, title), box, note ? h('figcaption', { class: 'caption' }, note) : null);
  return { el, box };
}

/** A chart drawn once the cell is in the document (so that it gets its width). */
function draw(box, data, options, height = 220) {
  const chart = createChart(box, { height });
  chart.update(data, { legend: { live: false }, ...options }, 'lesson');
  return chart;
}

/** Lines against the hidden-layer index, one per run. */
function perLayerChart(box, runs, lesson, values, { yLabel = '', y = {}, yAxis = {}, height = 220, xTicks = intTicks, xLabel = 'hidden layer (1 = input side)', width = 2, legend = true } = {}) {
  const columns = runs.map((r) => values(r) ?? []);
  const n = Math.max(1, ...columns.map((c) => c.length));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  return draw(box, [x, ...columns.map((c) => x.map((_, i) => finite(c[i])))], {
    scales: { x: { time: false, range: [0.5, n + 0.5] }, y },
    axes: [axis({ label: xLabel, size: 28, labelSize: 20, values: xTicks }), axis({ label: yLabel, size: 58, ...yAxis })],
    series: [{ label: 'layer' }, ...runs.map((r, i) => ({ label: displayLabel(lesson, r.label), stroke: colorFor(lesson, r.label, i), width, points: { size: 5 }, value: fmt3 }))],
    ...(legend ? {} : { legend: { show: false } }),
  }, height);
}

/** Horizontal bars of the validation accuracy of each run, with chance level marked. */
function accuracyBars(runs, lesson, classes) {
  const chance = classes ? 1 / classes : null;
  const rows = runs.map((r, i) => {
    const acc = r.val_accuracy;
    return h('div', { class: 'acc-row', 'data-label': r.label },
      h('span', { class: 'acc-label' }, displayLabel(lesson, r.label)),
      h('span', { class: 'acc-track' },
        Number.isFinite(acc) ? h('span', { class: 'acc-bar', style: `width:${(100 * acc).toFixed(2)}%;background:${colorFor(lesson, r.label, i)}` }) : null,
        chance ? h('span', { class: 'acc-chance', style: `left:${(100 * chance).toFixed(2)}%` }) : null),
      h('span', { class: 'acc-value' }, Number.isFinite(acc) ? fmtPercent(acc) : r.error ? 'diverged' : '—'));
  });
  return h('div', { class: 'acc-bars' }, ...rows,
    chance ? h('p', { class: 'acc-note' }, h('span', { class: 'acc-note-mark' }), `chance level (${fmtPercent(chance, 0)}); bars span 0 to 100 %.`) : null);
}

function accuracyCell(runs, lesson, classes, span = 2) {
  return h('figure', { class: `lesson-cell span-${span}` }, h('h4', {}, 'Validation accuracy (best weights)'), accuracyBars(runs, lesson, classes));
}

/** A legend shared by small multiples. */
function sharedLegend(runs, lesson) {
  return h('div', { class: 'lesson-legend' }, ...runs.map((r, i) => h('span', { class: 'lesson-key' },
    h('span', { class: 'lesson-swatch', style: `background:${colorFor(lesson, r.label, i)}` }), displayLabel(lesson, r.label))));
}

/** Per-chunk training loss of each run against the epoch, from the runs' stored histories. */
function lossCurves(box, runs, lesson, { log = false, height = 240 } = {}) {
  const tables = runs.map((r) => {
    const history = r.run?.history;
    if (!history?.steps.length) return [[], []];
    const xs = chunkEpochs({ history, progress: null });
    const xOut = [];
    const yOut = [];
    history.steps.forEach((s, i) => {
      if (xOut.length && xs[i] <= xOut.at(-1)) return;
      xOut.push(xs[i]);
      yOut.push(Number.isFinite(s.loss) && (!log || s.loss > 0) ? s.loss : null);
    });
    return [xOut, yOut];
  });
  const xs = [...new Set(tables.flatMap(([x]) => x))].sort((a, b) => a - b);
  const data = [xs, ...tables.map(([x, y]) => {
    const at = new Map(x.map((v, i) => [v, y[i]]));
    return xs.map((v) => (at.has(v) ? at.get(v) : undefined));
  })];
  if (!data.slice(1).some((col) => col.some((v) => v != null))) {
    box.append(h('p', { class: 'lesson-no-data' }, 'No finite training loss was read back: the runs diverged within their first chunk of steps (see below).'));
    return null;
  }
  const ends = runs.map((r, i) => (r.error ? { x: tables[i][0].at(-1), label: `${displayLabel(lesson, r.label)} diverged` } : null)).filter(Boolean);
  return draw(box, data, {
    scales: { x: { time: false, range: (u, lo, hi) => [0, Math.max(1, Math.ceil(hi ?? 1))] }, y: log ? { distr: 3, log: 10 } : {} },
    axes: [axis({ label: 'epoch', size: 28, labelSize: 20, values: intTicks }),
      axis({ label: 'training loss', size: 58, ...(log ? { splits: logSplits, values: logTicks((v, e) => (e >= -2 && e <= 3 ? String(v) : `1e${e}`)) } : {}) })],
    series: [{ label: 'epoch' }, ...runs.map((r, i) => ({ label: displayLabel(lesson, r.label), stroke: colorFor(lesson, r.label, i), width: 1.75, spanGaps: true, points: { show: false }, value: fmt3 }))],
    hooks: { draw: ends.map((end) => verticalMarker(() => end.x, () => end.label, colors.grad)) },
  }, height);
}

/** Validation accuracy per epoch of each run (from the finding). */
function accuracyPerEpoch(box, runs, lesson, height = 240) {
  const n = Math.max(1, ...runs.map((r) => r.val_accuracy_per_epoch?.length ?? 0));
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  return draw(box, [xs, ...runs.map((r) => xs.map((_, i) => finite(r.val_accuracy_per_epoch?.[i])))], {
    scales: { x: { time: false, range: [0.5, n + 0.5] }, y: { range: (u, lo, hi) => [Math.max(0, Math.floor((lo ?? 0) * 20) / 20 - 0.05), Math.min(1, Math.ceil((hi ?? 1) * 20) / 20 + 0.05)] } },
    axes: [axis({ label: 'epoch', size: 28, labelSize: 20, values: intTicks }), axis({ label: 'validation accuracy', size: 58, values: pctTicks })],
    series: [{ label: 'epoch' }, ...runs.map((r, i) => ({ label: displayLabel(lesson, r.label), stroke: colorFor(lesson, r.label, i), width: 2, points: { size: 6 }, value: fmtPct }))],
  }, height);
}

function range(values) {
  const v = (values ?? []).filter(Number.isFinite);
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
}

function errorNotes(runs, lesson) {
  return runs.filter((r) => r.error).map((r) => h('p', { class: 'lesson-error', 'data-testid': 'lesson-run-error' },
    h('strong', {}, `${displayLabel(lesson, r.label)}: `), r.error));
}

// ---- one figure per lesson ---------------------------------------------------------------------

const FIGURES = {
  symmetry(grid, runs, record) {
    const spread = cell('Unit spread per hidden layer, after training', { span: 4, note: 'Std across a layer\'s units of their activations, averaged over the probe images. 0: every unit of the layer computes the same function.' });
    grid.append(spread.el, accuracyCell(runs, 'symmetry', record.classes));
    perLayerChart(spread.box, runs, 'symmetry', (r) => r.layers?.unit_spread, { yLabel: 'unit spread', y: { range: (u, lo, hi) => [0, Math.max(hi ?? 0, 0.05) * 1.1] }, width: 2.5 });
    return runs.map((r) => {
      const [lo, hi] = range(r.layers?.unit_spread) ?? [NaN, NaN];
      return `${r.label}: unit spread ${hi < 1e-6 ? '0 in every layer' : `${fmtNumber(lo, 2)} to ${fmtNumber(hi, 2)}`}, validation accuracy ${fmtPercent(r.val_accuracy)}`;
    }).join('; ') + '.';
  },

  'zero-bias'(grid, runs) {
    const loss = cell('Training loss (mean of each chunk of steps)');
    const acc = cell('Validation accuracy per epoch');
    grid.append(loss.el, acc.el);
    lossCurves(loss.box, runs, 'zero-bias');
    accuracyPerEpoch(acc.box, runs, 'zero-bias');
    const [a, b] = runs;
    const gap = a && b && Number.isFinite(a.val_accuracy) && Number.isFinite(b.val_accuracy) ? Math.abs(a.val_accuracy - b.val_accuracy) : null;
    return `${runs.map((r) => `${r.label}: ${fmtPercent(r.val_accuracy)}`).join(', ')}${gap !== null ? ` (a gap of ${fmtNumber(100 * gap, 2)} points)` : ''}.`;
  },

  activations(grid, runs, record) {
    grid.append(h('div', { class: 'lesson-cell span-6' }, sharedLegend(runs, 'activations')));
    const mean = cell('Activation mean per layer', { span: 2 });
    const std = cell('Activation std per layer', { span: 2 });
    const grad = cell('Gradient norm per layer (log scale)', { span: 2 });
    const reluFamily = runs.filter((r) => r.label === 'relu' || r.label === 'leaky-relu');
    const dead = cell('ReLU units with no positive input', { span: 2, note: 'Units whose input is ≤ 0 on every probe image: a dead ReLU gets no gradient and never recovers; a leaky ReLU still gets 0.2 of it.' });
    const sat = cell('Saturated activations', { span: 2, note: 'Share of activations in a flat part of the function (ELU/SELU: z < −3; tanh: |z| > 2; sigmoid: |z| > 3; Swish: z < −5), where the gradient is about 0.' });
    grid.append(mean.el, std.el, grad.el, dead.el, sat.el, accuracyCell(runs, 'activations', record.classes));
    const small = { height: 200, legend: false };
    perLayerChart(mean.box, runs, 'activations', (r) => r.layers?.act_mean, { ...small, yLabel: 'mean' });
    perLayerChart(std.box, runs, 'activations', (r) => r.layers?.act_std, { ...small, yLabel: 'std', y: { range: (u, lo, hi) => [0, Math.max(hi ?? 1, 1.1) * 1.05] } });
    perLayerChart(grad.box, runs, 'activations', (r) => r.layers?.grad_norm?.map((v) => (v > 0 ? v : null)), {
      ...small, yLabel: 'L2 norm', y: { distr: 3, log: 10 }, yAxis: { splits: logSplits, values: logTicks((v, e) => (e >= -2 && e <= 3 ? String(v) : `1e${e}`)) },
    });
    const pctScale = { range: (u, lo, hi) => [0, Math.max(0.1, Math.min(1, Math.ceil((hi ?? 0) * 10) / 10))] };
    perLayerChart(dead.box, reluFamily, 'activations', (r) => r.layers?.dead, { ...small, yLabel: 'units', y: pctScale, yAxis: { values: pctTicks } });
    perLayerChart(sat.box, runs, 'activations', (r) => r.layers?.saturated, { ...small, yLabel: 'activations', y: pctScale, yAxis: { values: pctTicks } });
    const best = runs.filter((r) => Number.isFinite(r.val_accuracy)).sort((a, b) => b.val_accuracy - a.val_accuracy)[0];
    const relu = runs.find((r) => r.label === 'relu');
    const deadRange = range(relu?.layers?.dead);
    const sigmoid = runs.find((r) => r.label === 'sigmoid');
    const gradRatio = sigmoid?.layers?.grad_norm?.length > 1 ? sigmoid.layers.grad_norm.at(-1) / sigmoid.layers.grad_norm[0] : null;
    const parts = [];
    if (best) parts.push(`best validation accuracy: ${displayLabel('activations', best.label)} (${fmtPercent(best.val_accuracy)})`);
    if (deadRange) parts.push(`dead ReLU units: ${fmtPercent(deadRange[0], 0)} to ${fmtPercent(deadRange[1], 0)} of a layer`);
    if (Number.isFinite(gradRatio) && gradRatio > 1) parts.push(`sigmoid's gradient norm is ${fmtFactor(gradRatio)} smaller at layer 1 than at layer ${sigmoid.layers.grad_norm.length}`);
    const selu = runs.find((r) => r.label === 'selu');
    const seluStd = range(selu?.layers?.act_std);
    if (seluStd) parts.push(`SELU's activation std stays within ${fmtNumber(seluStd[0], 2)}–${fmtNumber(seluStd[1], 2)}`);
    return parts.length ? `${parts.join('; ')}.` : '';
  },

  momentum(grid, runs) {
    const losses = runs.flatMap((r) => r.run?.history.steps.map((s) => s.loss) ?? []).filter((v) => Number.isFinite(v) && v > 0);
    const log = losses.length > 0 && Math.max(...losses) / Math.min(...losses) > 30;
    const loss = cell(`Training loss (mean of each chunk of steps${log ? ', log scale' : ''})`, { span: 4 });
    const acc = h('figure', { class: 'lesson-cell span-2' }, h('h4', {}, 'Validation accuracy per epoch'), epochTable(runs, 'momentum'));
    grid.append(loss.el, acc);
    lossCurves(loss.box, runs, 'momentum', { log, height: 260 });
    const divergedText = (r) => (r.epochs === 0 ? `${r.label}: diverged during its first epoch` : `${r.label}: diverged after ${r.epochs} complete epoch${r.epochs === 1 ? '' : 's'}`);
    return runs.map((r) => (r.error ? divergedText(r) : `${r.label}: final training loss ${fmtNumber(r.train_loss_per_epoch?.at(-1), 3)}, validation accuracy ${fmtPercent(r.val_accuracy)}`)).join('; ') + '.';
  },

  sparsity(grid, runs, record) {
    // The threshold is the lesson's own (crate/src/lessons/runner.rs), carried by its finding.
    const threshold = runs.find((r) => r.zero_threshold !== undefined)?.zero_threshold ?? '?';
    const zero = cell(`Weights with |w| ≤ ${threshold} per layer`, { span: 3, note: 'Kernels of the hidden layers, then the output layer ("out"). Biases are not counted.' });
    const prune = cell(`Magnitude pruning of "${runs[0]?.label ?? 'the first run'}"`, { span: 3, note: 'The smallest weights of every kernel set to exactly 0 after training (copies; the trained run is untouched), then evaluated on the validation set.' });
    grid.append(zero.el, prune.el);
    const depth = Math.max(1, ...runs.map((r) => (r.zero_fraction?.length ?? 1) - 1));
    perLayerChart(zero.box, runs, 'sparsity', (r) => r.zero_fraction, {
      yLabel: 'weights', xLabel: 'layer', y: { range: (u, lo, hi) => [0, Math.max(0.1, Math.min(1, Math.ceil((hi ?? 0) * 10) / 10))] }, yAxis: { values: pctTicks },
      xTicks: (u, splits) => splits.map((v) => (v === depth + 1 ? 'out' : Number.isInteger(v) ? v : '')),
    });
    const base = runs[0];
    const pruning = base?.pruning ?? [];
    if (pruning.length) {
      const points = [{ sparsity: 0, val_accuracy: base.val_accuracy, val_loss: base.val_loss }, ...pruning];
      draw(prune.box, [points.map((p) => p.sparsity), points.map((p) => finite(p.val_accuracy))], {
        scales: { x: { time: false, range: [-0.02, 1] }, y: { range: (u, lo, hi) => [0, Math.min(1, Math.ceil(((hi ?? 0.5) + 0.05) * 10) / 10)] } },
        axes: [axis({ label: 'weights set to 0', size: 28, labelSize: 20, values: pctTicks }), axis({ label: 'validation accuracy', size: 58, values: pctTicks })],
        series: [{ label: 'sparsity', value: fmtPct }, { label: 'validation accuracy', stroke: PALETTE[0], width: 2, points: { size: 7 }, value: fmtPct }],
      }, 170);
      prune.el.append(h('table', { class: 'data-table lesson-table', 'data-testid': 'pruning-table' },
        h('thead', {}, h('tr', {}, ...['Weights set to 0', 'Val accuracy', 'vs unpruned', 'Val loss'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...points.map((p, i) => h('tr', { 'data-sparsity': p.sparsity },
          h('td', {}, i === 0 ? 'none (as trained)' : fmtPercent(p.sparsity, 0)),
          h('td', { class: 'num' }, fmtPercent(p.val_accuracy, 2)),
          h('td', { class: 'num' }, i === 0 ? '' : signedPoints(p.val_accuracy - base.val_accuracy)),
          h('td', { class: 'num' }, fmtNumber(p.val_loss, 4)))))));
    } else {
      prune.box.append(h('p', { class: 'caption' }, `No pruning figures: "${base?.label}" ${base?.error ? 'diverged' : 'has none'}.`));
    }
    const overall = runs.map((r) => {
      const share = weightedShare(r.zero_fraction, r.run?.model);
      return share === null ? null : `${r.label}: ${fmtPercent(share)} of all kernel weights`;
    }).filter(Boolean);
    return overall.length ? `|w| ≤ ${threshold}: ${overall.join(', ')}.` : '';
  },

  'dropout-cost'(grid, runs) {
    const figure = h('figure', { class: 'lesson-cell span-6' }, h('h4', {}, 'Measured cost, on this machine and backend'), dropoutTable(runs));
    grid.append(figure);
    const [plain, dropped] = runs;
    if (!plain || !dropped || !(plain.seconds_per_epoch > 0)) return '';
    // Past the first epoch when there is one: the first run's first epoch also warms the backend up.
    const later = (r) => {
      const epochs = r.run?.history.epochs ?? [];
      return epochs.length > 1 ? epochs.slice(1).reduce((a, e) => a + e.train_seconds, 0) / (epochs.length - 1) : r.seconds_per_epoch;
    };
    const warm = (plain.run?.history.epochs.length ?? 0) > 1 && (dropped.run?.history.epochs.length ?? 0) > 1;
    const slower = later(dropped) / later(plain) - 1;
    const mc = (dropped.inference ?? []).filter((e) => e.mode === 'mc-dropout');
    const eval1 = dropped.inference?.find((e) => e.mode === 'eval');
    const parts = [`training with dropout takes ${fmtDuration(later(dropped))} per epoch against ${fmtDuration(later(plain))} without (${signedPercent(slower)}${warm ? ', epochs after the first' : ''})`];
    if (eval1 && mc.length) parts.push(`MC Dropout: ${mc.map((e) => `N = ${e.samples} takes ${fmtNumber(e.seconds / Math.max(eval1.seconds, 1e-9), 2)}×`).join(', ')} the time of one plain pass`);
    return `${parts.join('; ')}.`;
  },

  'one-cycle'(grid, runs) {
    const acc = cell('Validation accuracy per epoch', { span: 4 });
    const table = h('figure', { class: 'lesson-cell span-2' }, h('h4', {}, 'Runs'), oneCycleTable(runs));
    grid.append(acc.el, table);
    accuracyPerEpoch(acc.box, runs, 'one-cycle', 260);
    const cycle = runs.find((r) => Number.isFinite(r.max_lr));
    return cycle ? `1cycle's peak rate: ${fmtLr(cycle.max_lr)} (5 × the LR finder's suggestion, i.e. half the rate at the smoothed loss's minimum).` : '';
  },
};

const SUPERSCRIPT = { '-': '⁻', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** A ratio: "3.2×", or "about 10⁷×" when it spans orders of magnitude. */
function fmtFactor(ratio) {
  if (ratio < 1e4) return `${fmtNumber(ratio, 2)}×`;
  const exponent = String(Math.round(Math.log10(ratio)));
  return `about 10${[...exponent].map((c) => SUPERSCRIPT[c]).join('')}×`;
}

/** A relative change: "+12 %", "−3.4 %". */
function signedPercent(change) {
  if (!Number.isFinite(change)) return '—';
  return `${change >= 0 ? '+' : '−'}${fmtNumber(Math.abs(100 * change), 2)} %`;
}

/** An accuracy difference in percentage points: "+1.2 pt", "−0.4 pt", "0 pt". */
function signedPoints(delta) {
  if (!Number.isFinite(delta)) return '—';
  const points = Number(fmtNumber(Math.abs(100 * delta), 2));
  return points === 0 ? '0 pt' : `${delta > 0 ? '+' : '−'}${points} pt`;
}

/** The share of all kernel weights that are (near) zero, from per-kernel fractions and the model's shape. */
function weightedShare(fractions, model) {
  if (!fractions?.length || !model) return null;
  const sizes = [];
  for (let i = 0; i < model.depth; i++) sizes.push((i === 0 ? model.input_dim : model.width) * model.width);
  sizes.push(model.width * model.classes);
  if (sizes.length !== fractions.length) return null;
  const total = sizes.reduce((a, b) => a + b, 0);
  return sizes.reduce((a, n, i) => a + n * fractions[i], 0) / total;
}

function epochTable(runs, lesson) {
  const n = Math.max(0, ...runs.map((r) => r.val_accuracy_per_epoch?.length ?? 0));
  return h('table', { class: 'data-table lesson-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Epoch'), ...runs.map((r) => h('th', { class: 'num' }, displayLabel(lesson, r.label))))),
    h('tbody', {}, ...Array.from({ length: n }, (_, i) => h('tr', {}, h('td', {}, String(i + 1)),
      ...runs.map((r) => h('td', { class: 'num' }, Number.isFinite(r.val_accuracy_per_epoch?.[i]) ? fmtPercent(r.val_accuracy_per_epoch[i]) : '—')))),
    h('tr', { class: 'total-row' }, h('td', {}, 'Best weights'), ...runs.map((r) => h('td', { class: 'num' }, r.error ? 'diverged' : fmtPercent(r.val_accuracy))))));
}

function dropoutTable(runs) {
  const base = runs[0]?.seconds_per_epoch;
  const head = h('tr', {}, h('th', {}, ''), ...runs.map((r) => h('th', { class: 'num' }, r.label)));
  const row = (label, cells, testid) => h('tr', { 'data-testid': testid }, h('td', {}, label), ...cells.map((c) => h('td', { class: 'num' }, c)));
  const inference = (r, mode, samples) => r.inference?.find((e) => e.mode === mode && e.samples === samples) ?? null;
  const evalOf = (r) => inference(r, 'eval', 1);
  const timeCell = (e, ref) => (e ? [h('span', {}, fmtDuration(e.seconds)), ref && e !== ref ? h('span', { class: 'cost' }, ` ${fmtNumber(e.seconds / Math.max(ref.seconds, 1e-9), 2)}×`) : null, h('span', { class: 'acc' }, ` · ${fmtPercent(e.accuracy, 2)}`)] : '—');
  const samples = [...new Set(runs.flatMap((r) => (r.inference ?? []).filter((e) => e.mode === 'mc-dropout').map((e) => e.samples)))].sort((a, b) => a - b);
  return h('table', { class: 'data-table lesson-table dropout-cost', 'data-testid': 'dropout-cost-table' },
    h('thead', {}, head),
    h('tbody', {},
      row('Training time per epoch (mean)', runs.map((r, i) => [fmtDuration(r.seconds_per_epoch), i > 0 && base > 0 ? h('span', { class: 'cost' }, ` ${signedPercent(r.seconds_per_epoch / base - 1)}`) : null]), 'train-time'),
      ...(runs.some((r) => (r.run?.history.epochs.length ?? 0) > 1)
        ? [row('… each epoch', runs.map((r) => h('span', { class: 'epoch-times' }, (r.run?.history.epochs ?? []).map((e) => fmtDuration(e.train_seconds)).join(', '))), 'train-epochs')]
        : []),
      row('Inference, dropout off (one pass)', runs.map((r) => timeCell(evalOf(r), null)), 'infer-eval'),
      ...samples.map((n) => row(`Inference, MC Dropout, N = ${n}`, runs.map((r) => (inference(r, 'mc-dropout', n) ? timeCell(inference(r, 'mc-dropout', n), evalOf(r)) : 'no dropout layer')), `infer-mc-${n}`))),
    h('caption', {}, 'Time (and, for inference, the cost relative to one plain pass · the validation accuracy). Training time excludes validation; the first epoch of the first run also pays for warming up the backend. Inference runs over the whole validation set.'));
}

function oneCycleTable(runs) {
  return h('table', { class: 'data-table lesson-table' },
    h('thead', {}, h('tr', {}, ...['Run', 'Peak rate', 'Best val acc', 'Train time / epoch'].map((t) => h('th', {}, t)))),
    h('tbody', {}, ...runs.map((r) => h('tr', {},
      h('td', {}, r.label),
      h('td', { class: 'num', 'data-testid': Number.isFinite(r.max_lr) ? 'one-cycle-peak' : null }, Number.isFinite(r.max_lr) ? fmtLr(r.max_lr) : r.run?.lr ? fmtLr(r.run.lr) : '—'),
      h('td', { class: 'num' }, r.error ? 'diverged' : fmtPercent(r.val_accuracy)),
      h('td', { class: 'num' }, fmtDuration(r.seconds_per_epoch))))));
}

/** What the lesson ran with, in a line. */
function describeRun(record) {
  const o = record.options ?? {};
  const records = o.max_train_records > 0 && record.trainRecords ? Math.min(o.max_train_records, record.trainRecords) : record.trainRecords;
  const backend = record.backend === 'webgpu' ? `WebGPU${record.software ? ' (software adapter)' : ''}` : 'CPU (wasm)';
  const model = record.runs?.[0]?.model;
  return [
    `${fmtDate(record.finished)}`,
    `${model ? `${model.depth} × ${model.width} net` : ''}`,
    `${o.epochs} epoch${o.epochs === 1 ? '' : 's'} × ${records ? fmtInt(records) : 'all'} records`,
    record.name === 'sparsity' && o.l1 ? `L1 ${o.l1}` : '',
    `dataset ${record.dataset}`,
    backend,
  ].filter(Boolean).join(' · ');
}

/** Draws `record`'s finding into `container`. */
export function renderFinding(container, record, optionChoices = null) {
  choices = optionChoices;
  const lesson = record.name;
  const runs = orderedRuns(record);
  const grid = h('div', { class: 'lesson-grid' });
  const takeaway = h('p', { class: 'lesson-takeaway', 'data-testid': 'lesson-takeaway' });
  container.replaceChildren(
    h('div', { class: 'lesson-finding', 'data-testid': 'lesson-finding', 'data-lesson': lesson },
      h('div', { class: 'lesson-finding-head' }, h('h3', {}, 'Finding'), h('span', { class: 'lesson-meta', 'data-testid': 'lesson-meta' }, describeRun(record))),
      grid, takeaway, ...errorNotes(runs, lesson),
      h('p', { class: 'lesson-caption' }, record.finding.caption)));
  const text = FIGURES[lesson]?.(grid, runs, record) ?? '';
  takeaway.textContent = text ? `Measured: ${text}` : '';
  takeaway.hidden = !text;
}
