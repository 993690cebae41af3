// The verdicts on a probe or a preview as a student reads them: one plain sentence marked ✓ or ⚠,
// with the figures, the thresholds and why layer 1 stands out one click away (a disclosure).
import { h, setText, fmtInt, fmtNumber } from './format.js';

const SIGNAL_AT_INIT = {
  healthy: 'the signal keeps its scale through the layers',
  vanishing: 'the signal fades with depth',
  exploding: 'the signal grows with depth',
};
// A trained net has learnt its scales: how the std changes with depth is described, not judged.
const SIGNAL_TRAINED = {
  healthy: 'the signal is level across depth',
  vanishing: 'the signal shrinks with depth',
  exploding: 'the signal grows with depth',
};
const GRADIENT = {
  healthy: 'gradients reach layer 1 at a healthy size',
  vanishing: 'gradients vanish towards layer 1',
  exploding: 'gradients explode towards layer 1',
};

/**
 * `✓ <when>: <signal>; <gradients>.` from `layerVerdicts` (either may be null): ⚠ when a verdict
 * is not healthy (the signal is judged only at initialization).
 */
export function verdictSentence({ signal, gradient }, { initial, when }) {
  const parts = [];
  if (signal) parts.push((initial ? SIGNAL_AT_INIT : SIGNAL_TRAINED)[signal.verdict]);
  if (gradient) parts.push(GRADIENT[gradient.verdict]);
  const warn = (initial && signal && signal.verdict !== 'healthy') || (gradient && gradient.verdict !== 'healthy') || (!signal && !gradient);
  const said = parts.length ? parts.join('; ') : 'the statistics are not finite';
  return `${warn ? '⚠' : '✓'} ${when}: ${said}.`;
}

/**
 * Why layer 1's gradient norm differs from the others' in a dense net: its kernel has one row
 * per input feature, so its norm sums more weights. Null when layer 1 is as wide as the rest.
 */
export function fanInNote(model) {
  const inputs = model?.input_dim;
  const width = model?.width;
  if (!inputs || !width || inputs === width) return null;
  const ratio = inputs / width;
  return `Layer 1 differs by construction: its kernel is ${fmtInt(inputs)} × ${fmtInt(width)} (one row per input value) against ${fmtInt(width)} × ${fmtInt(width)} for the others, so its gradient norm adds up ${fmtNumber(ratio, 2)} × as many weights: about ${fmtNumber(Math.sqrt(ratio), 2)} × larger at the same size per weight, without anything being wrong.`;
}

/** The sentence, with `details` (paragraphs of figures and thresholds) folded under it. */
export function createVerdict(testid) {
  const sentence = h('p', { class: 'verdict-sentence', 'data-testid': testid });
  const figures = h('div', { class: 'verdict-figures', 'data-testid': `${testid}-figures` });
  const more = h('details', { class: 'verdict-more' }, h('summary', {}, 'Figures and thresholds'), figures);
  const el = h('div', { class: 'diagnosis' }, sentence, more);
  return {
    el,
    sentence,
    update(text, details) {
      setText(sentence, text);
      const key = details.join('\n');
      if (figures.dataset.key !== key) {
        figures.dataset.key = key;
        figures.replaceChildren(...details.map((d) => h('p', {}, d)));
      }
      el.hidden = !text;
    },
  };
}
