// A uPlot chart that fills its container's width, follows resizes, shows a caption while it has
// no data, and is rebuilt only when its series change (otherwise `setData`).
import uPlot from '../vendor/uPlot.esm.js';
import { h } from './format.js';

export { uPlot };

export const colors = {
  train: '#2563eb',
  trainLight: 'rgba(37, 99, 235, 0.35)',
  valid: '#ea580c',
  mean: '#0f766e',
  std: '#c2410c',
  saturated: '#9333ea',
  dead: '#475569',
  grad: '#be123c',
  spread: '#0369a1',
  raw: 'rgba(71, 85, 105, 0.45)',
  smooth: '#2563eb',
  marker: '#16a34a',
  ref: 'rgba(15, 23, 42, 0.35)',
  overlay: ['#7c3aed', '#0891b2', '#65a30d', '#db2777', '#ca8a04', '#4b5563'],
};

/** `rgba()` of a hex colour with opacity `alpha`. */
export function fade(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// 13 px at least, for a projector.
const font = '14px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const axisFont = '13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Axis options with this site's fonts and grid. */
export function axis(extra = {}) {
  return {
    stroke: '#475569',
    font: axisFont,
    labelFont: font,
    grid: { stroke: 'rgba(148, 163, 184, 0.25)', width: 1 },
    ticks: { stroke: 'rgba(148, 163, 184, 0.5)', width: 1, size: 4 },
    ...extra,
  };
}

/**
 * Ticks (and grid lines) for a log axis: the powers of ten in range, or 1-2-5 steps when the
 * range spans less than two of them (uPlot's default also draws every minor tick).
 */
export function logSplits(u, axisIdx, min, max) {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const decades = [];
  for (let e = lo; e <= hi; e++) decades.push(10 ** e);
  if (decades.length >= 2) return decades;
  const steps = [];
  for (let e = lo - 1; e <= hi + 1; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) steps.push(v);
    }
  }
  return steps;
}

/**
 * Labels for `logSplits`: `format(value, exponent)` for powers of ten, plain numbers otherwise
 * (uPlot's log-axis filter hands over null for the splits it hides).
 */
export function logTicks(format = (v) => String(v)) {
  return (u, splits) => splits.map((v) => {
    if (v == null) return null;
    const exponent = Math.log10(v);
    return Math.abs(exponent - Math.round(exponent)) < 1e-9 ? format(v, Math.round(exponent)) : String(Number(v.toPrecision(2)));
  });
}

/** Whole-number ticks for an epoch axis (uPlot's default steps include fractions). */
export const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/**
 * A legend formatter that shows the series' last value while the pointer is not over the plot
 * (uPlot passes a null index then), and the value under the pointer otherwise.
 */
export function lastValue(format) {
  return (u, v, sidx, idx) => {
    if (idx !== null && idx !== undefined) return format(u, v);
    const column = u.data[sidx];
    for (let i = column.length - 1; i >= 0; i--) if (column[i] !== null && column[i] !== undefined) return format(u, column[i]);
    return format(u, null);
  };
}

/** A hook drawing dashed horizontal reference lines at `values` on scale `scale`. */
export function referenceLines(values, scale = 'y') {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = colors.ref;
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const value of values) {
      const y = u.valToPos(value, scale, true);
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  };
}

/** A hook drawing a labelled vertical marker at x = `get()` (or nothing when it returns null). */
export function verticalMarker(get, label, color = colors.marker) {
  return (u) => {
    const x = get();
    if (x === null || x === undefined || !Number.isFinite(x)) return;
    const { ctx, bbox } = u;
    const px = u.valToPos(x, 'x', true);
    if (px < bbox.left || px > bbox.left + bbox.width) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(px, bbox.top);
    ctx.lineTo(px, bbox.top + bbox.height);
    ctx.stroke();
    ctx.font = `${13 * devicePixelRatio}px system-ui, sans-serif`;
    const text = label(x);
    const width = ctx.measureText(text).width;
    const left = px + 6 * devicePixelRatio + width > bbox.left + bbox.width ? px - 6 * devicePixelRatio - width : px + 6 * devicePixelRatio;
    ctx.fillText(text, left, bbox.top + 14 * devicePixelRatio);
    ctx.restore();
  };
}

/**
 * A chart in `container`. `update(data, options, shape)`: `shape` is a string naming the series
 * layout; the plot is rebuilt when it changes and fed with `setData` otherwise. `data` null shows
 * the `empty` text instead of a plot.
 */
export function createChart(container, { height = 220, empty = 'No data yet.' } = {}) {
  const host = h('div', { class: 'chart-host' });
  const placeholder = h('div', { class: 'chart-empty', style: `height:${height}px` }, empty);
  container.append(host, placeholder);
  let plot = null;
  let shape = null;

  const width = () => Math.max(240, Math.floor(container.clientWidth));
  const observer = new ResizeObserver(() => {
    if (plot && Math.abs(plot.width - width()) > 1) plot.setSize({ width: width(), height });
  });
  observer.observe(container);

  return {
    update(data, options, nextShape) {
      if (!data) {
        plot?.destroy();
        plot = null;
        shape = null;
        placeholder.hidden = false;
        return;
      }
      placeholder.hidden = true;
      if (!plot || nextShape !== shape) {
        plot?.destroy();
        plot = new uPlot({ width: width(), height, ...options }, data, host);
        shape = nextShape;
      } else {
        plot.setData(data);
      }
    },
    setEmptyText(text) {
      placeholder.textContent = text;
    },
    redraw() {
      plot?.redraw(false, false);
    },
    get plot() {
      return plot;
    },
  };
}
