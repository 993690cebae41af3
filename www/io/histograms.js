// A probe's activation histograms (crate/src/stats.rs: counts per layer over a fixed range) as a
// run keeps them: the counts as little-endian u16, base64, so a 20-layer probe always costs 1,708
// characters (as JSON numbers: 2,290 for the 20 × 100 ELU net at init, up to ~4,000 for layers
// spread over many bins). Counts up to 65,535 per bin are exact (a 256-image probe of 255 units
// or fewer); above that every count of the probe is divided by `scale` and rounded.
import { toBase64, fromBase64 } from './base64.js';

const U16_MAX = 0xffff;

/** `{lo, hi, counts: number[][]}` (the worker's) → `{lo, hi, bins, scale, counts: base64}`. */
export function packHistograms({ lo, hi, counts }) {
  const bins = counts[0]?.length ?? 0;
  const max = Math.max(0, ...counts.map((row) => Math.max(0, ...row)));
  const scale = Math.max(1, Math.ceil(max / U16_MAX));
  const packed = new Uint8Array(counts.length * bins * 2);
  const view = new DataView(packed.buffer);
  counts.forEach((row, l) => row.forEach((c, b) => view.setUint16((l * bins + b) * 2, Math.round(c / scale), true)));
  return { lo, hi, bins, scale, counts: toBase64(packed) };
}

/** Either form → `{lo, hi, bins, counts: number[][]}` (one row per layer), or null when absent or damaged. */
export function unpackHistograms(histograms, layers) {
  if (!histograms) return null;
  const { lo, hi } = histograms;
  if (Array.isArray(histograms.counts)) {
    return histograms.counts.length ? { lo, hi, bins: histograms.counts[0].length, counts: histograms.counts } : null;
  }
  const bytes = fromBase64(histograms.counts);
  const { bins, scale } = histograms;
  if (!bytes || !(bins > 0) || bytes.length !== layers * bins * 2) return null;
  const view = new DataView(bytes.buffer);
  const counts = Array.from({ length: layers }, (_, l) => Array.from({ length: bins }, (_, b) => view.getUint16((l * bins + b) * 2, true) * scale));
  return { lo, hi, bins, counts };
}

/** A probe as a run keeps it: the histograms packed. */
export function compactProbe(probe) {
  const h = probe.stats?.histograms;
  if (!h || !Array.isArray(h.counts) || !h.counts.length) return probe;
  return { ...probe, stats: { ...probe.stats, histograms: packHistograms(h) } };
}
