// Activation distributions over training: for each hidden layer an image with one column per probe
// and one row per histogram bin (low values at the bottom), darker for more of the layer's
// activations in that bin. Saturation (mass at sigmoid's 0 and 1 or tanh's ±1), dead ReLUs (a
// spike at 0) and SELU's fixed point show as shapes that move, or do not, as the run trains.
import { h, setText, fmtNumber } from './format.js';
import { unpackHistograms } from '../io/histograms.js';

/** Log shading of a bin's share of its column: 1e-3 of the values is already visible. */
function shade(share) {
  const t = share > 0 ? Math.min(1, Math.log10(1 + 1000 * share) / 3) : 0;
  return [Math.round(255 - 230 * t), Math.round(255 - 200 * t), Math.round(255 - 120 * t)];
}

/** The probes' histograms of layer `l` as an image: `columns` wide, `bins` high. */
function layerImage(columns, l, bins) {
  const image = new ImageData(columns.length, bins);
  columns.forEach((hist, x) => {
    const row = hist?.counts[l];
    const total = row ? row.reduce((a, b) => a + b, 0) : 0;
    for (let b = 0; b < bins; b++) {
      const [r, g, bl] = row ? shade(total ? row[b] / total : 0) : [235, 235, 235];
      const at = ((bins - 1 - b) * columns.length + x) * 4;
      image.data.set([r, g, bl, 255], at);
    }
  });
  return image;
}

export function createHistograms(container) {
  const runName = h('span', { class: 'panel-sub', 'data-testid': 'histograms-run' });
  const grid = h('div', { class: 'histogram-grid', 'data-testid': 'histogram-grid' });
  const range = h('p', { class: 'caption' });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Activation distributions over training'), runName),
    grid,
    range,
  );
  let key = '';

  return function update(state) {
    const run = state.runs.find((r) => r.id === state.viewRunId) ?? null;
    const probes = run?.history.probes ?? [];
    const k = `${run?.id}|${probes.length}`;
    if (k === key) return;
    key = k;
    setText(runName, run ? run.name : '');
    const columns = probes.map((p) => unpackHistograms(p.stats.histograms, p.stats.pre_mean.length));
    const first = columns.find(Boolean);
    if (!first) {
      grid.replaceChildren(h('div', { class: 'chart-empty' }, run && probes.length ? 'This run was recorded without histograms.' : 'One image per layer appears with the first probe.'));
      setText(range, '');
      return;
    }
    const layers = first.counts.length;
    grid.replaceChildren(...Array.from({ length: layers }, (_, l) => {
      const canvas = h('canvas', { class: 'histogram-canvas', 'data-testid': 'histogram-canvas', width: columns.length, height: first.bins });
      canvas.getContext('2d').putImageData(layerImage(columns, l, first.bins), 0, 0);
      const ticks = [[first.hi, '0%'], [0, 'var(--zero)'], [first.lo, '100%']].map(([v, at]) => h('span', { class: 'histogram-tick', style: at.startsWith('var') ? `bottom:${at}` : `top:${at}` }, v < 0 ? `−${-v}` : String(v)));
      const box = h('div', { class: 'histogram-box' }, canvas, h('span', { class: 'histogram-zero' }), ...ticks);
      return h('figure', { class: 'histogram-layer' }, box, h('figcaption', {}, `layer ${l + 1}`));
    }));
    const zero = ((0 - first.lo) / (first.hi - first.lo)) * 100;
    grid.style.setProperty('--zero', `${zero}%`);
    setText(range, `Each image: one column per probe (left: before training), one row per bin of ${fmtNumber((first.hi - first.lo) / first.bins, 2)} from ${first.lo} (bottom) to ${first.hi} (top; the dotted line marks 0); values beyond count in the edge rows. Darker: a larger share of the layer's activations on the probe batch (log shading).`);
  };
}
