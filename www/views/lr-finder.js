// The LR finder's result: loss against learning rate on a log axis, raw and smoothed, with the
// suggested rate marked and one click to use it.
import { h, setText, fmtLr, fmtDuration, fmtNumber, bringIntoView } from './format.js';
import { createChart, axis, colors, verticalMarker, logTicks, logSplits, lastValue } from './chart.js';

// The legend shows the sweep's last losses, or those under the pointer.
// Losses span orders of magnitude in a sweep that diverges: 4 significant digits, an exponent from 1e5.
const lossValue = lastValue((u, v) => (v == null ? '—' : fmtNumber(v, 4)));

export function createLrFinder(container, app) {
  const summary = h('p', { class: 'caption', 'data-testid': 'lr-summary' },
    'Run the LR finder to sweep the learning rate exponentially over a few hundred steps (weights are restored afterwards). ' +
    'The loss falls, flattens, then explodes; a good rate sits about ten times below the bottom of the curve.');
  const emptyNote = h('span', { class: 'panel-sub' });
  const suggested = h('span', { class: 'lr-suggested', 'data-testid': 'lr-suggested' });
  const apply = h('button', { id: 'btn-lr-apply', class: 'btn btn-primary btn-small', type: 'button', hidden: true }, 'Use it');
  const chartBox = h('div', { class: 'chart' });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Learning-rate finder'), emptyNote, h('div', { class: 'panel-head-side' }, suggested, apply)),
    chartBox, summary);
  const chart = createChart(chartBox, { height: 230, empty: 'No sweep yet.' });
  let result;
  apply.addEventListener('click', () => result && app.applyLr(result.suggested_lr));

  return function update(state) {
    const r = state.lrFinder;
    if (r === result) {
      apply.disabled = state.phase !== 'idle';
      return;
    }
    const fresh = Boolean(r && result !== undefined && r !== result);
    result = r;
    apply.hidden = !r;
    container.classList.toggle('is-empty', !r);
    setText(emptyNote, r ? '' : 'Press LR finder (top bar): the loss against the learning rate appears here.');
    if (!r) {
      chart.update(null);
      setText(suggested, '');
      return;
    }
    const finite = (x) => (Number.isFinite(x) ? x : null);
    const raw = r.losses.map(finite);
    const smooth = r.smoothed.map(finite);
    const valid = raw.filter((x) => x !== null);
    const lo = Math.min(...valid);
    const smoothValid = smooth.filter((x) => x !== null);
    const hi = Math.min(Math.max(...valid), Math.max(smoothValid[0] * 1.5, Math.min(...smoothValid) * 2));
    chart.update([r.lrs, raw, smooth], {
      scales: { x: { time: false, distr: 3 }, y: { range: () => [lo * 0.95, hi * 1.02] } },
      axes: [
        axis({ label: 'learning rate (log scale)', size: 28, labelSize: 20, splits: logSplits, values: logTicks((v, e) => `1e${e}`) }),
        axis({ label: 'training loss', size: 56 }),
      ],
      series: [
        { label: 'lr', value: (u, v) => (v == null ? '—' : fmtLr(v)) },
        { label: 'loss', stroke: colors.raw, width: 1, points: { show: false }, value: lossValue },
        { label: 'smoothed', stroke: colors.smooth, width: 2, points: { show: false }, value: lossValue },
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [verticalMarker(() => result?.suggested_lr ?? null, (x) => `suggested ${fmtLr(x)}`)] },
    }, 'lr');
    setText(suggested, `Suggested: ${fmtLr(r.suggested_lr)}`);
    apply.textContent = `Use ${fmtLr(r.suggested_lr)}`;
    apply.disabled = state.phase !== 'idle';
    setText(summary, `${r.lrs.length} steps from ${fmtLr(r.sweep.min_lr)} to ${fmtLr(r.lrs.at(-1))} in ${fmtDuration(r.seconds)}` +
      `${r.diverged ? '; the sweep stopped early when the loss exploded' : ''}. ` +
      'Suggested rate: a tenth of the rate at the smoothed minimum (Géron\'s rule of thumb). Weights were restored after the sweep.');
    // The sweep just ended: its chart may be far from the button that started it.
    if (fresh && !state.lessons.active) bringIntoView(container);
  };
}
