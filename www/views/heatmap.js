// A layer × time heatmap on a canvas: one column per probe, one row per hidden layer (input side at
// the top), coloured on a diverging log scale centred at 1 (white), blue below, red above. A column
// is picked by clicking it, or with the arrow keys once the map has the focus.
import { h, fmtNumber } from './format.js';

const STOPS = [
  [-1, [5, 48, 97]],
  [-0.66, [33, 102, 172]],
  [-0.33, [146, 197, 222]],
  [0, [247, 247, 247]],
  [0.33, [244, 165, 130]],
  [0.66, [214, 96, 77]],
  [1, [103, 0, 31]],
];
const OCTAVES = 3;
const MARGIN = { left: 62, right: 84, top: 22, bottom: 40 };

/** The colour of `value` (a scale, ideally 1): log₂ mapped onto ±3 octaves. */
export function divergingColor(value) {
  if (!Number.isFinite(value)) return 'rgb(120, 120, 120)';
  const t = value <= 0 ? -1 : Math.max(-1, Math.min(1, Math.log2(value) / OCTAVES));
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, c1] = STOPS[i];
    if (t <= t1) {
      const [t0, c0] = STOPS[i - 1];
      const a = (t - t0) / (t1 - t0);
      const c = c0.map((v, k) => Math.round(v + a * (c1[k] - v)));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    }
  }
  return 'rgb(103, 0, 31)';
}

export function createHeatmap(container, { onPick, label = 'std', empty = 'No data yet.' } = {}) {
  const canvas = h('canvas', { class: 'heatmap-canvas', 'data-testid': 'heatmap-canvas', tabindex: 0, role: 'slider', 'aria-label': 'Probe column (arrow keys pick one)' });
  const tip = h('div', { class: 'heatmap-tip', hidden: true });
  const placeholder = h('div', { class: 'chart-empty', style: 'height:200px' }, empty);
  container.append(canvas, tip, placeholder);
  let model = null;
  let geometry = null;

  function draw() {
    const width = Math.max(240, container.clientWidth);
    const layers = model?.layers ?? 0;
    const height = Math.max(170, Math.min(340, layers * 14)) + MARGIN.top + MARGIN.bottom;
    const dpr = devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
    geometry = { plot, columns: model?.columns.length ?? 0, layers };
    ctx.font = '13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.fillStyle = '#475569';
    if (!model || !model.columns.length || !layers) return;

    const n = model.columns.length;
    const cw = plot.w / n;
    const rh = plot.h / layers;
    for (let c = 0; c < n; c++) {
      const values = model.columns[c].values;
      const x0 = Math.floor(plot.x + c * cw);
      const x1 = Math.ceil(plot.x + (c + 1) * cw);
      for (let l = 0; l < layers; l++) {
        ctx.fillStyle = divergingColor(values[l]);
        ctx.fillRect(x0, Math.floor(plot.y + l * rh), x1 - x0, Math.ceil(rh));
      }
    }
    if (model.selected !== null && model.selected >= 0) {
      ctx.strokeStyle = '#0f172a';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(plot.x + model.selected * cw + 0.75, plot.y + 0.75, Math.max(cw - 1.5, 1.5), plot.h - 1.5);
    }
    ctx.strokeStyle = 'rgba(15, 23, 42, 0.35)';
    ctx.lineWidth = 1;
    ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);

    // Layer labels: every layer when there is room, else every 2nd/5th.
    ctx.fillStyle = '#475569';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const every = rh >= 12 ? 1 : rh >= 6 ? 2 : 5;
    for (let l = 0; l < layers; l++) {
      if ((l + 1) % every !== 0 && l !== 0) continue;
      ctx.fillText(String(l + 1), plot.x - 6, plot.y + (l + 0.5) * rh);
    }
    ctx.save();
    ctx.translate(12, plot.y + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('layer (1 = input side)', 0, 0);
    ctx.restore();

    drawEpochTicks(ctx, plot, model.columns);

    // Legend.
    const lx = plot.x + plot.w + 16;
    const lw = 12;
    for (let i = 0; i < plot.h; i++) {
      const t = 1 - (2 * i) / plot.h;
      ctx.fillStyle = divergingColor(2 ** (t * OCTAVES));
      ctx.fillRect(lx, plot.y + i, lw, 1.5);
    }
    ctx.strokeStyle = 'rgba(15, 23, 42, 0.35)';
    ctx.strokeRect(lx + 0.5, plot.y + 0.5, lw - 1, plot.h - 1);
    ctx.fillStyle = '#475569';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const ticks = [['≥ 8', 3], ['4', 2], ['2', 1], ['1', 0], ['1/2', -1], ['1/4', -2], ['≤ 1/8', -3]];
    for (const [text, octave] of ticks) {
      const y = plot.y + ((OCTAVES - octave) / (2 * OCTAVES)) * plot.h;
      ctx.fillText(text, lx + lw + 5, y);
    }
    ctx.save();
    ctx.translate(width - 6, plot.y + plot.h / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(model.label ?? label, 0, 0);
    ctx.restore();
  }

  function cellAt(event) {
    if (!geometry || !model) return null;
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left - geometry.plot.x;
    const y = event.clientY - rect.top - geometry.plot.y;
    if (x < 0 || y < 0 || x >= geometry.plot.w || y >= geometry.plot.h) return null;
    return { column: Math.floor((x / geometry.plot.w) * geometry.columns), layer: Math.floor((y / geometry.plot.h) * geometry.layers), x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  canvas.addEventListener('mousemove', (event) => {
    const cell = cellAt(event);
    if (!cell) {
      tip.hidden = true;
      return;
    }
    const column = model.columns[cell.column];
    tip.textContent = `layer ${cell.layer + 1} · epoch ${fmtNumber(column.epoch, 3)} (step ${column.step}) · ${model.label ?? label} ${fmtNumber(column.values[cell.layer], 3)}`;
    tip.hidden = false;
    const left = Math.min(cell.x + 12, container.clientWidth - tip.offsetWidth - 4);
    tip.style.transform = `translate(${Math.max(0, left)}px, ${cell.y + 14}px)`;
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  canvas.addEventListener('keydown', (event) => {
    const n = model?.columns.length ?? 0;
    if (!n) return;
    const at = model.selected ?? n - 1;
    const next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: n - 1, PageUp: at - 10, PageDown: at + 10 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    onPick?.(Math.max(0, Math.min(n - 1, next)));
  });
  canvas.addEventListener('click', (event) => {
    const cell = cellAt(event);
    if (cell) onPick?.(cell.column);
  });
  new ResizeObserver(() => model && draw()).observe(container);

  return {
    /** `next`: {layers, columns: [{epoch, step, values[]}], selected, label} or null. */
    update(next) {
      model = next;
      canvas.hidden = !model;
      placeholder.hidden = Boolean(model);
      if (model?.columns.length) {
        const column = model.columns[model.selected ?? model.columns.length - 1];
        canvas.setAttribute('aria-valuemin', '1');
        canvas.setAttribute('aria-valuemax', String(model.columns.length));
        canvas.setAttribute('aria-valuenow', String((model.selected ?? model.columns.length - 1) + 1));
        canvas.setAttribute('aria-valuetext', `probe at epoch ${fmtNumber(column.epoch, 3)}, step ${column.step}`);
      }
      if (model) draw();
    },
  };
}

/**
 * Epoch ticks under the map: whole epochs only, at the first column of each, about one per 90 px.
 * A column of restored best weights (a run's final probe) comes after the training's columns
 * whatever its epoch: it is labelled above the map instead of placed among the ticks.
 */
function drawEpochTicks(ctx, plot, columns) {
  const cw = plot.w / columns.length;
  const epochs = columns.map((c) => (c.restoredEpoch === null || c.restoredEpoch === undefined ? c.epoch : Infinity));
  const trained = epochs.filter(Number.isFinite);
  const last = trained.at(-1) ?? 0;
  columns.forEach((c, i) => {
    if (!Number.isFinite(epochs[i])) {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(`restored best (epoch ${c.restoredEpoch}) ↓`, plot.x + (i + 1) * cw, plot.y - 3);
    }
  });
  const every = Math.max(1, Math.round(niceStep(last / Math.max(2, Math.floor(plot.w / 90)))));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.strokeStyle = 'rgba(15, 23, 42, 0.45)';
  for (let epoch = 0; epoch <= last + 1e-9; epoch += every) {
    const column = epochs.findIndex((e) => e >= epoch - 1e-9);
    if (column < 0) break;
    const x = plot.x + column * cw;
    ctx.beginPath();
    ctx.moveTo(x, plot.y + plot.h);
    ctx.lineTo(x, plot.y + plot.h + 4);
    ctx.stroke();
    ctx.fillText(String(epoch), x, plot.y + plot.h + 5);
  }
  ctx.fillText('epoch (one column per probe)', plot.x + plot.w / 2, plot.y + plot.h + 21);
}

function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
