// Reads scripts/bench's JSON lines (a file, or stdin) and prints the summary: every selfnorm
// figure beside its peer measured in the same run, as a ratio, then sizes, first step, memory and
// the targets of issue 5. Markdown, so that it can go into docs/PERFORMANCE.md as is.
//   node scripts/bench-table.mjs target/bench/latest.jsonl
import { readFileSync } from 'node:fs';
import { ratios } from '../www/bench/peers.js';

const text = readFileSync(process.argv[2] ?? 0, 'utf8');
const events = text.split('\n').filter((l) => l.startsWith('{')).map((l) => {
  try {
    return JSON.parse(l);
  } catch {
    return null;
  }
}).filter(Boolean);
const rows = events.filter((e) => e.event === 'bench');
const one = (name) => events.filter((e) => e.event === name).at(-1) ?? null;

const int = (x) => (x == null || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const times = (x) => (x == null ? '–' : `${x.toFixed(2)}×`);
const mb = (bytes) => (bytes == null ? '–' : `${(bytes / 1e6).toFixed(2)} MB`);
const where = (row) => (row.where === 'native' ? 'native' : 'browser');
const label = (row) => `${where(row)} ${row.backend}${row.system === 'selfnorm-generic' ? ' (generic step)' : ''}`;

// Projected real-GPU step time. On a real GPU a net this small is bound by the fixed cost of each
// dispatch, not by its arithmetic; the assumptions: 30 µs per dispatch (the order of WebGPU's
// per-dispatch API cost on native drivers) and the FLOPs at 1 TFLOP/s, nothing overlapped.
const DISPATCH_S = 30e-6;
const FLOP_PER_S = 1e12;
const PROJECTION = 'projected real-GPU step time (assumption: 30 µs per dispatch + FLOPs at 1 TFLOP/s)';
/** Weights of the bench net, 3072 → 20 × Dense(100) → Dense(10), the same in both systems. */
const WEIGHTS = 3072 * 100 + 19 * 100 * 100 + 100 * 10;
/** FLOPs of one forward pass over `batch` samples: a multiply and an add per weight and sample. */
const forwardFlops = (batch) => 2 * batch * WEIGHTS;
/** Forward and backward (input and weight gradients) ≈ 3 forward passes. */
const stepFlops = (batch) => 3 * forwardFlops(batch);
const projectedSeconds = (dispatches, flops) => dispatches * DISPATCH_S + flops / FLOP_PER_S;
const INFER_BATCH = 1000;

/** WebGPU calls per training step and inference pass (rows counted by the bench page). */
function workTable(rows) {
  const counted = rows.filter((r) => r.dispatches_per_step != null || r.count_error);
  if (!counted.length) return [];
  const num = (x) => (x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: 1 }));
  const ms = (s) => `${(s * 1e3).toFixed(2)} ms`;
  const lines = ['WebGPU work per training step (and per inference pass at batch 1,000), counted in the bench workers: ' +
    '(count of a run with M timed steps − count with N) / (M − N).', '',
    `| system | variant | batch | dispatches | passes | submits (command buffers) | maps | uploads | per inference pass: dispatches / submits / maps / uploads | measured SwiftShader step (samples/s) | ${PROJECTION} (samples/s) | inference pass: projected |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of counted) {
    if (r.count_error) {
      lines.push(`| ${r.system} ${r.backend} | ${r.variant} | ${r.batch} | count failed: ${r.count_error} | | | | | | | | |`);
      continue;
    }
    const projected = projectedSeconds(r.dispatches_per_step, stepFlops(r.batch));
    const inferProjected = projectedSeconds(r.dispatches_per_infer, forwardFlops(INFER_BATCH));
    const measured = r.train_samples_per_s > 0 ? `${ms(r.batch / r.train_samples_per_s)} (${int(r.train_samples_per_s)})` : '–';
    lines.push(`| ${r.system} ${r.backend} | ${r.variant} | ${r.batch} | ${num(r.dispatches_per_step)} | ${num(r.passes_per_step)} | ${num(r.submits_per_step)} (${num(r.command_buffers_per_step)}) | ${num(r.maps_per_step)} | ${num(r.uploads_per_step)} | ${[r.dispatches_per_infer, r.submits_per_infer, r.maps_per_infer, r.uploads_per_infer].map(num).join(' / ')} | ${measured} | ${ms(projected)} (${int(r.batch / projected)}) | ${ms(inferProjected)} |`);
  }
  return ['', ...lines];
}

const out = [];
out.push('| selfnorm on | variant | batch | train/s | peer | peer train/s | train ratio (target) | infer/s | peer infer/s | infer ratio |');
out.push('|---|---|---|---:|---|---:|---:|---:|---:|---:|');
const paired = ratios(rows);
for (const r of paired) {
  const { row, peer } = r;
  out.push(`| ${label(row)} | ${row.variant} | ${row.batch} | ${int(row.train_samples_per_s)} | ${r.peerName ?? '–'} | ${int(peer?.train_samples_per_s)} | ${times(r.train)}${r.target ? ` (≥ ${r.target}×)` : ''} | ${int(row.infer_samples_per_s)} | ${int(peer?.infer_samples_per_s)} | ${times(r.infer)} |`);
}
for (const row of rows.filter((r) => r.error)) out.push(`| ${label(row)} (${row.system}) | ${row.variant ?? ''} | ${row.batch ?? ''} | error: ${row.error} | | | | | | |`);
for (const note of events.filter((e) => e.event === 'note')) out.push(`\nNote: ${note.text}`);
out.push(...workTable(rows));

out.push('');
const targets = [];
for (const [key, name, target] of [['browser webgpu', 'WebGPU training vs TF.js webgpu', 2], ['browser cpu', 'CPU fallback training vs TF.js wasm (1 thread)', 1.5], ['native cpu', 'native CPU training vs PyTorch (1 thread)', 1]]) {
  const measured = paired.filter((r) => label(r.row) === key && r.train != null);
  if (!measured.length) {
    targets.push(`- ${name} ≥ ${target}×: not measured in this run`);
    continue;
  }
  const worst = Math.min(...measured.map((r) => r.train));
  const best = Math.max(...measured.map((r) => r.train));
  const met = measured.filter((r) => r.train >= target).length;
  targets.push(`- ${name} ≥ ${target}×: ${met === measured.length ? 'met' : 'NOT met'} in ${met} of ${measured.length} settings (ratios ${times(worst)}–${times(best)})`);
}
const wasm = one('wasm-size');
const wasmFile = wasm?.files?.['pkg/selfnorm_bg.wasm'];
if (wasmFile) {
  targets.push(`- wasm ≤ 5 MB gzip: ${wasmFile.gzip_bytes <= 5e6 ? 'met' : 'NOT met'} (${mb(wasmFile.gzip_bytes)} gzip, ${mb(wasmFile.raw_bytes)} raw)`);
}
const first = one('first-step');
if (first) {
  targets.push(first.seconds == null
    ? `- first training step ≤ 3 s after navigation (cached data): not measured (${first.note})`
    : `- first training step ≤ 3 s after navigation (cached data): ${first.seconds <= 3 ? 'met' : 'NOT met'} (${first.seconds.toFixed(2)} s on the ${first.backend} backend: worker ready ${first.backend_ready_s?.toFixed(2)} s, dataset ready ${first.data_ready_to_train_s?.toFixed(2)} s, Train clicked ${first.clicked_s?.toFixed(2)} s)`);
}
out.push('Targets (issue 5):', ...targets, '');

const extra = [];
const tfjs = one('download-size');
if (wasm) extra.push(`- Download: selfnorm ${mb(wasm.raw_bytes)} raw / ${mb(wasm.gzip_bytes)} gzip (wasm + JS glue); TF.js core + webgpu + wasm backends ${mb(tfjs?.raw_bytes)} raw / ${mb(tfjs?.gzip_bytes)} gzip.`);
const memory = one('memory');
if (memory) {
  extra.push(memory.available
    ? `- Peak memory (${memory.api}, ${memory.samples} samples between settings; GPU buffers excluded): ${mb(memory.peak_total_bytes)} for the page and its workers; per worker: ${Object.entries(memory.peak_by_worker).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}.`
    : `- Peak memory: ${memory.note}.`);
}
const workerMemory = events.filter((e) => e.event === 'worker' && e.final_memory);
if (workerMemory.length) {
  extra.push(`- Engine memory at the end: ${workerMemory.map((w) => {
    const m = w.final_memory;
    const parts = [];
    if (m.wasm_memory_bytes != null) parts.push(`wasm memory ${mb(m.wasm_memory_bytes)}`);
    if (m.gpu_bytes_allocated != null) parts.push(`GPU buffers ${mb(m.gpu_bytes_allocated)}`);
    return `${w.key} ${parts.join(', ') || '–'}`;
  }).join('; ')}.`);
}
const tfjsWasm = events.find((e) => e.event === 'worker' && e.key === 'tfjs:wasm' && !e.error);
if (tfjsWasm) extra.push(`- TF.js wasm backend: ${tfjsWasm.threads} thread(s), SIMD ${tfjsWasm.simd ? 'on' : 'off'}; TF.js ${tfjsWasm.tfjs_version}.`);
const browser = one('browser');
if (browser) extra.push(`- Browser: ${browser.user_agent}; WebGPU adapter: ${browser.adapter?.error ?? [browser.adapter?.vendor, browser.adapter?.architecture, browser.adapter?.description].filter(Boolean).join(' ')}.`);
if (extra.length) out.push(...extra);
console.log(out.join('\n'));
