// Update-to-weight ratio per layer: ‖ΔW‖ / ‖W‖ of each hidden kernel over the optimizer step just
// before a probe (crate/src/stats.rs), against depth for the latest probe and over training for
// every layer, on log scales, with the usual healthy band shaded.
import { h, setText, fmtNumber, fmtInt } from './format.js';
import { createChart, axis, colors, fade, logTicks, logSplits } from './chart.js';
import { panel, layerAxis, fmt3 } from './layer-stats.js';

/** The band practitioners aim for: about 1e-3 per step, within a factor of ten either way. */
export const HEALTHY_BAND = [1e-4, 1e-2];

/** A draw hook shading y ∈ [lo, hi] on a log scale. */
export function shadeBand([lo, hi]) {
  return (u) => {
    const { ctx, bbox } = u;
    const top = Math.max(bbox.top, u.valToPos(hi, 'y', true));
    const bottom = Math.min(bbox.top + bbox.height, u.valToPos(lo, 'y', true));
    if (!(bottom > top)) return;
    ctx.save();
    ctx.fillStyle = 'rgba(22, 163, 74, 0.10)';
    ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
    ctx.restore();
  };
}

/** Layer `l` of `layers` as a colour from light (input side) to dark (output side). */
function layerColor(l, layers) {
  const t = layers > 1 ? l / (layers - 1) : 1;
  return `hsl(${220 - 40 * t}, 70%, ${72 - 45 * t}%)`;
}

const logAxis = () => axis({ size: 60, splits: logSplits, values: logTicks((v, e) => `1e${e}`) });
const positive = (v) => (Number.isFinite(v) && v > 0 ? v : null);
// The band must stay in view, whatever the data.
export const logRange = (u, lo, hi) => [Math.min(lo ?? HEALTHY_BAND[0], HEALTHY_BAND[0] / 3), Math.max(hi ?? HEALTHY_BAND[1], HEALTHY_BAND[1] * 3)];

export function createUpdateRatio(container) {
  const runName = h('span', { class: 'panel-sub', 'data-testid': 'update-ratio-run' });
  const depth = panel('Per layer, latest probe', 'The step just before the latest probe; faded: the first probe that had one.', { wide: true });
  const time = panel('Per layer over training', 'One line per hidden layer, light on the input side, dark on the output side; point at a line to pick it out.', { wide: true });
  const hovered = h('span', { class: 'h3-control hovered-line', 'data-testid': 'update-ratio-hovered', 'aria-live': 'polite' });
  time.el.querySelector('h3').append(hovered);
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Update-to-weight ratio (log scale)'), runName),
    h('div', { class: 'stat-grid' }, depth.el, time.el),
    h('p', { class: 'caption' }, `‖ΔW‖ / ‖W‖ of each hidden kernel over one optimizer step: around 1e-3 per step (the shaded band, ${HEALTHY_BAND[0]} to ${HEALTHY_BAND[1]}) is the usual sign of a well-chosen learning rate; far below, the layer barely learns (rate too small); far above, each step rewrites it (rate too large).`),
  );
  const empty = 'Appears with the first probe after a training step.';
  const charts = { depth: createChart(depth.box, { height: 210, empty }), time: createChart(time.box, { height: 230, empty }) };
  let key = '';

  return function update(state) {
    const run = state.runs.find((r) => r.id === state.viewRunId) ?? null;
    const probes = (run?.history.probes ?? []).filter((p) => Array.isArray(p.stats.update_ratio));
    const k = `${run?.id}|${probes.length}`;
    if (k === key) return;
    key = k;
    setText(runName, run ? run.name : '');
    if (!probes.length) {
      const none = (run?.history.probes.length ?? 0) > 1
        ? 'This run\'s probes carry no update ratios: it was recorded before they existed.'
        : empty;
      for (const chart of Object.values(charts)) {
        chart.setEmptyText(none);
        chart.update(null);
      }
      return;
    }
    const latest = probes[probes.length - 1];
    const layers = latest.stats.update_ratio.length;
    const xs = Array.from({ length: layers }, (_, i) => i + 1);
    const series = [{ label: 'layer' }, { label: `step ${fmtInt(latest.step)}`, stroke: colors.grad, width: 2, points: { size: 5 }, value: fmt3 }];
    const data = [xs, latest.stats.update_ratio.map(positive)];
    if (probes[0] !== latest) {
      series.push({ label: `step ${fmtInt(probes[0].step)}`, stroke: fade(colors.grad, 0.35), width: 1.5, dash: [4, 3], points: { show: false }, value: fmt3 });
      data.push(probes[0].stats.update_ratio.map(positive));
    }
    charts.depth.update(data, {
      scales: { x: { time: false, range: [0.5, layers + 0.5] }, y: { distr: 3, log: 10, range: logRange } },
      axes: [layerAxis(), logAxis()],
      series,
      hooks: { drawClear: [shadeBand(HEALTHY_BAND)] },
      legend: { live: false },
    }, `${run.id}|${layers}|${series.length}`);
    const steps = probes.map((p) => p.step);
    const lines = Array.from({ length: layers }, (_, l) => probes.map((p) => positive(p.stats.update_ratio[l])));
    charts.time.update([steps, ...lines], {
      scales: { x: { time: false }, y: { distr: 3, log: 10, range: logRange } },
      axes: [axis({ label: 'step', labelSize: 22, size: 30 }), logAxis()],
      series: [{ label: 'step' }, ...lines.map((_, l) => ({ label: `layer ${l + 1}`, stroke: layerColor(l, layers), width: 1.5, points: { show: probes.length < 40, size: 3 }, value: (u, v) => (v == null ? '—' : fmtNumber(v, 2)) }))],
      hooks: {
        drawClear: [shadeBand(HEALTHY_BAND)],
        // Twenty lines are one band: the line nearest the pointer stays, the others fade, and it is named.
        setSeries: [(u, index) => setText(hovered, index ? `${u.series[index].label}: ${u.series[index].value(u, u.data[index][u.cursor.idx ?? u.data[0].length - 1])}` : '')],
      },
      focus: { alpha: 0.15 },
      cursor: { focus: { prox: 30 } },
      legend: { show: false },
    }, `${run.id}|${layers}`);
  };
}
