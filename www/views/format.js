// Number and text formatting shared by the views. Everything a user reads goes through here, so
// the same quantity always looks the same (tabular figures are set in CSS).

const nbsp = '\u00a0';

/** The prose name of option `value` of setting `key` in `choices` (`state.choices`, from
 *  crate/src/choices.rs), or the value itself while they have not come. */
export function choiceName(choices, key, value) {
  return choices?.[key]?.find((c) => c.value === value)?.name ?? value;
}

/** The short label (a select's, a table's) of option `value` of setting `key`, as `choiceName`. */
export function choiceLabel(choices, key, value) {
  return choices?.[key]?.find((c) => c.value === value)?.label ?? value;
}

export function fmtPercent(x, digits = 1) {
  return Number.isFinite(x) ? `${(100 * x).toFixed(digits)}${nbsp}%` : '—';
}

export function fmtNumber(x, digits = 3) {
  if (!Number.isFinite(x)) return x === undefined || x === null ? '—' : String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(Math.max(1, digits - 1));
  return Number(x.toPrecision(digits)).toString();
}

/** A learning rate, e.g. 5e-5 → "5.0e-5", 0.003 → "3.0e-3". */
export function fmtLr(x) {
  if (!Number.isFinite(x)) return '—';
  const [mantissa, exponent] = x.toExponential(1).split('e');
  return `${mantissa}e${Number(exponent)}`;
}

export function fmtInt(x) {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—';
}

export function fmtBytes(bytes) {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes < 1024) return `${bytes}${nbsp}B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)}${nbsp}KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)}${nbsp}MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)}${nbsp}GiB`;
}

export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)}${nbsp}ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}${nbsp}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}${nbsp}h${nbsp}${String(m).padStart(2, '0')}${nbsp}min` : `${m}${nbsp}min${nbsp}${String(rest).padStart(2, '0')}${nbsp}s`;
}

/** A rounded duration for estimates: "≈ 20 s", "≈ 4 min", "≈ 1 h 20 min". */
export function fmtApprox(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return `<${nbsp}1${nbsp}s`;
  if (seconds < 60) return `≈${nbsp}${Math.round(seconds)}${nbsp}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `≈${nbsp}${minutes}${nbsp}min`;
  return `≈${nbsp}${Math.floor(minutes / 60)}${nbsp}h${nbsp}${String(minutes % 60).padStart(2, '0')}${nbsp}min`;
}

export function fmtRate(samplesPerSecond) {
  return Number.isFinite(samplesPerSecond) ? `${fmtInt(samplesPerSecond)}${nbsp}samples/s` : '—';
}

export function fmtDate(ms) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `h('div', {class: 'x', onclick}, child…)`: a tiny element builder for the views. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Scrolls `el` to the top of the view (below the sticky bar) unless its top is already in view. */
export function bringIntoView(el) {
  const top = el.getBoundingClientRect().top;
  const covered = parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0;
  if (top >= covered && top < innerHeight * 0.6) return;
  el.scrollIntoView({ behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth', block: 'start' });
}

/** Sets an element's text only when it changed (cheap to call every frame). */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent !== value) el.textContent = value;
}
