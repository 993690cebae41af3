// The bench page: selfnorm and TF.js, each in its own Web Worker, on the same workload in the
// same browser run, setting by setting so that peers are measured side by side (the machines
// are noisy; the ratios are what we compare). Results: window.benchResults (one row per system,
// backend, variant and batch), window.benchInfo (sizes, memory, adapter), window.benchDone.
//
// Settings come from ?config=<JSON> (see DEFAULTS); scripts/bench-browser.mjs passes them.
import { ratios } from './peers.js';

const DEFAULTS = {
  variants: ['elu-he', 'elu-he-bn', 'selu-lecun'],
  batches: [32, 256],
  /** system:backend, in the order they run for each setting. */
  systems: ['selfnorm:webgpu', 'selfnorm-generic:webgpu', 'tfjs:webgpu', 'selfnorm:cpu', 'tfjs:wasm'],
  /**
   * [warm-up, timed] steps per device kind and batch size, the same for both systems. selfnorm's
   * bench trains in chunks of 25 steps after a first step of its own, so warm-up counts are
   * rounded up to 1 + 25k (see chunkAligned).
   */
  steps: { gpu: { 32: [1, 12], 256: [1, 4] }, cpu: { 32: [26, 100], 256: [26, 25] } },
  /** Timed inference passes at batch 1,000 (after one untimed pass). */
  infer_passes: { gpu: 1, cpu: 3 },
  /** The training batch sizes whose settings also time inference (it does not depend on them). */
  infer_batches: { gpu: [32], cpu: [32, 256] },
  /**
   * [N, M] timed steps of the two extra runs that count WebGPU work per training step on the
   * WebGPU workers: (count(M) − count(N)) / (M − N), everything else equal (see countWork);
   * null: not counted.
   */
  count_steps: [2, 7],
  /** Seconds one setting may take before its worker is given up. */
  setting_timeout_s: 600,
};

const WORKERS = {
  selfnorm: { url: 'bench/selfnorm-worker.js', type: 'module' },
  // The same worker training with the generic autodiff step (the fused step's reference).
  'selfnorm-generic': { url: 'bench/selfnorm-worker.js', type: 'module', query: '&step=generic' },
  tfjs: { url: 'bench/tfjs-worker.js', type: 'classic' },
};

const config = { ...DEFAULTS, ...JSON.parse(new URLSearchParams(location.search).get('config') ?? '{}') };
const rows = [];
const info = { config, user_agent: navigator.userAgent, cross_origin_isolated: self.crossOriginIsolated, workers: {}, memory: null, sizes: {} };
window.benchResults = rows;
window.benchInfo = info;
window.benchDone = false;

/**
 * selfnorm's bench (crate/src/bench.rs) reads the loss back after step 1 and then every 25 steps,
 * and only checks its warm-up count between those chunks: any other warm-up would run on into
 * the timed steps (or leave none).
 */
const chunkAligned = (warmup) => (warmup <= 1 ? 1 : 1 + 25 * Math.ceil((warmup - 1) / 25));

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };
const kindOf = (backend) => (backend === 'webgpu' ? 'gpu' : 'cpu');

// ---- workers ---------------------------------------------------------------------------------

/** A worker with promise-returning requests; a request past `timeoutS` rejects. */
function startWorker(system, backend) {
  const { url, type, query = '' } = WORKERS[system];
  const worker = new Worker(`${url}?backend=${backend}${query}`, { type });
  const pending = new Map();
  let nextId = 0;
  worker.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    pending.delete(data.id);
    clearTimeout(p.timer);
    if (data.type === 'error') p.reject(new Error(data.message));
    else p.resolve(data);
  };
  worker.onerror = (event) => {
    const error = new Error(`${system} ${backend} worker failed: ${event.message ?? 'script error'}`);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  return {
    system,
    backend,
    url: new URL(`${url}?backend=${backend}${query}`, location.href).href,
    request(type, fields = {}, timeoutS = config.setting_timeout_s) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${system} ${backend}: no answer to '${type}' within ${timeoutS} s`));
        }, timeoutS * 1000);
        pending.set(id, { resolve, reject, timer });
        worker.postMessage({ id, type, ...fields });
      });
    },
    terminate: () => worker.terminate(),
  };
}

// ---- page-side measurements ------------------------------------------------------------------

async function gzipBytes(buffer) {
  const stream = new Blob([buffer]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** Raw and gzip sizes of what a page downloads for each system. */
async function downloadSizes() {
  const sets = {
    selfnorm: ['pkg/selfnorm_bg.wasm', 'pkg/selfnorm.js'],
    tfjs: ['vendor/tfjs/tf.es2017.min.js', 'vendor/tfjs/tf-backend-webgpu.es2017.min.js', 'vendor/tfjs/tf-backend-wasm.es2017.min.js', 'vendor/tfjs/tfjs-backend-wasm-simd.wasm'],
  };
  const sizes = {};
  for (const [system, files] of Object.entries(sets)) {
    sizes[system] = { files: {}, raw_bytes: 0, gzip_bytes: 0 };
    for (const file of files) {
      const response = await fetch(file);
      if (!response.ok) {
        sizes[system].files[file] = { error: `HTTP ${response.status}` };
        continue;
      }
      const buffer = await response.arrayBuffer();
      const entry = { raw_bytes: buffer.byteLength, gzip_bytes: await gzipBytes(buffer) };
      sizes[system].files[file] = entry;
      sizes[system].raw_bytes += entry.raw_bytes;
      sizes[system].gzip_bytes += entry.gzip_bytes;
    }
  }
  return sizes;
}

async function adapterInfo() {
  if (!('gpu' in navigator)) return { error: 'navigator.gpu is missing' };
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { error: 'no WebGPU adapter' };
  const i = adapter.info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, fallback: Boolean(adapter.isFallbackAdapter || i.isFallbackAdapter) };
}

/**
 * performance.measureUserAgentSpecificMemory (cross-origin isolated pages only): the JS heaps of
 * the page and of each worker, sampled after every setting; the peak is the largest sample. In
 * Chromium 156 it counts neither wasm linear memory nor GPU buffers: the workers report those
 * (wasm memory only grows, so its final size is its peak; TF.js webgpu counts its GPU buffers).
 */
const memory = {
  available: typeof performance.measureUserAgentSpecificMemory === 'function' && self.crossOriginIsolated,
  samples: 0,
  seconds: 0,
  peak_total_bytes: 0,
  peak_by_worker: {},
  async sample(workers) {
    if (!this.available) return;
    const start = performance.now();
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 30_000));
    const result = await Promise.race([performance.measureUserAgentSpecificMemory(), timeout]).catch((e) => ({ error: e.message }));
    this.seconds += (performance.now() - start) / 1000;
    if (!result || result.error) {
      this.last_error = result?.error ?? 'no answer within 30 s';
      return;
    }
    this.samples += 1;
    this.peak_total_bytes = Math.max(this.peak_total_bytes, result.bytes);
    const byWorker = {};
    for (const entry of result.breakdown) {
      for (const a of entry.attribution) {
        const w = workers.find((x) => a.url && a.url === x.url);
        if (w) byWorker[`${w.system}:${w.backend}`] = (byWorker[`${w.system}:${w.backend}`] ?? 0) + entry.bytes / entry.attribution.length;
      }
    }
    for (const [key, bytes] of Object.entries(byWorker)) this.peak_by_worker[key] = Math.max(this.peak_by_worker[key] ?? 0, bytes);
  },
  summary() {
    const { available, samples, seconds, peak_total_bytes, peak_by_worker, last_error } = this;
    return {
      api: 'performance.measureUserAgentSpecificMemory',
      available,
      note: available ? 'JS heaps of the page and its workers, sampled after every setting (wasm memory and GPU buffers excluded: see the workers)' : 'unavailable (needs a cross-origin isolated page in Chromium)',
      samples, seconds, peak_total_bytes: samples ? peak_total_bytes : null, peak_by_worker, last_error,
    };
  },
};

// ---- the table -------------------------------------------------------------------------------

const fmt = (x, digits = 0) => (x == null || !Number.isFinite(x) ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const mb = (bytes) => (bytes == null ? '–' : `${(bytes / 1e6).toFixed(1)} MB`);

function render() {
  const byRow = new Map(ratios(rows).map((r) => [r.row, r]));
  const body = rows.map((row) => {
    const r = byRow.get(row);
    const ratio = (x) => (x == null ? '' : ` (×${x.toFixed(2)})`);
    const cells = row.error
      ? [row.system, row.backend, row.variant ?? '', row.batch ?? '', { text: row.error, span: 5 }]
      : [row.system, row.backend, row.variant, row.batch,
        `${fmt(row.train_samples_per_s)}${ratio(r?.train)}`, `${fmt(row.infer_samples_per_s)}${ratio(r?.infer)}`,
        fmt(row.first_step_seconds, 2), row.optimizer, row.threads ?? ''];
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      td.textContent = typeof cell === 'object' ? cell.text : String(cell);
      if (typeof cell === 'object') td.colSpan = cell.span;
      tr.append(td);
    }
    return tr;
  });
  $('results').replaceChildren(...body);
  const sizes = info.sizes.selfnorm;
  const lines = [];
  if (sizes) lines.push(`selfnorm download: ${mb(sizes.raw_bytes)} raw, ${mb(sizes.gzip_bytes)} gzip; TF.js (core + webgpu + wasm backends): ${mb(info.sizes.tfjs?.raw_bytes)} raw, ${mb(info.sizes.tfjs?.gzip_bytes)} gzip.`);
  if (info.memory) lines.push(`Peak memory (${info.memory.api}): ${info.memory.available ? `${mb(info.memory.peak_total_bytes)} in all; ${Object.entries(info.memory.peak_by_worker).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}` : info.memory.note}.`);
  if (info.adapter) lines.push(`WebGPU adapter: ${info.adapter.error ?? [info.adapter.vendor, info.adapter.architecture, info.adapter.description].filter(Boolean).join(' ')}.`);
  $('info').replaceChildren(...lines.map((text) => Object.assign(document.createElement('p'), { textContent: text })));
}

// ---- WebGPU work per step ---------------------------------------------------------------------

/**
 * The WebGPU calls of one training step and of one inference pass (batch 1,000), as differences
 * between runs that differ only in their timed steps (N vs M) or timed inference passes (1 vs 2):
 * model set-up, warm-up, the readbacks and the untimed inference pass cancel out.
 */
async function countWork(worker, variant, batch) {
  const [n, m] = config.count_steps;
  const run = async (steps, inferPasses) => {
    const { row } = await worker.request('run', { config: { variant, batch, warmup_steps: 1, steps, infer_passes: inferPasses } });
    if (!row.gpu_counts) throw new Error('the worker counted no WebGPU calls (no WebGPU in the worker?)');
    return row.gpu_counts;
  };
  const short = await run(n, 1);
  const long = await run(m, 1);
  const moreInference = await run(n, 2);
  const fields = { count_steps: [n, m], count_infer_passes: [1, 2] };
  // gpu_counts' names (gpu-count.js) → dispatches_per_step, dispatches_per_infer, …
  for (const key of Object.keys(short)) {
    fields[`${key}_per_step`] = (long[key] - short[key]) / (m - n);
    fields[`${key}_per_infer`] = moreInference[key] - short[key];
  }
  return fields;
}

// ---- the run ---------------------------------------------------------------------------------

async function main() {
  info.adapter = await adapterInfo().catch((e) => ({ error: e.message }));
  info.sizes = await downloadSizes();
  render();

  const workers = [];
  for (const key of config.systems) {
    const [system, backend] = key.split(':');
    status(`starting ${system} on ${backend}…`);
    const worker = startWorker(system, backend);
    try {
      const ready = await worker.request('init', {}, 120);
      info.workers[key] = ready;
      workers.push(worker);
    } catch (error) {
      worker.terminate();
      info.workers[key] = { error: error.message };
      rows.push({ system, backend, error: `could not start: ${error.message}` });
      render();
    }
  }
  await memory.sample(workers);

  for (const variant of config.variants) {
    for (const batch of config.batches) {
      for (const worker of [...workers]) {
        const kind = kindOf(worker.backend);
        const [asked, steps] = config.steps[kind][batch] ?? config.steps[kind][256];
        const warmup = chunkAligned(asked);
        const inferPasses = config.infer_batches[kind].includes(batch) ? config.infer_passes[kind] : 0;
        const setting = { variant, batch, warmup_steps: warmup, steps, infer_passes: inferPasses };
        status(`${worker.system} ${worker.backend}: ${variant}, batch ${batch} (${warmup} + ${steps} steps)…`);
        const start = performance.now();
        try {
          const { row } = await worker.request('run', { config: setting });
          // Without timed passes there is no inference figure (selfnorm still runs its untimed one).
          if (!inferPasses) row.infer_samples_per_s = null;
          const seconds = (performance.now() - start) / 1000;
          if (worker.backend === 'webgpu' && config.count_steps) {
            status(`${worker.system} ${worker.backend}: ${variant}, batch ${batch}: counting WebGPU calls…`);
            Object.assign(row, await countWork(worker, variant, batch).catch((error) => ({ count_error: error.message })));
          }
          rows.push({ where: 'browser', ...row, warmup_steps: warmup, steps, infer_passes: inferPasses, seconds });
        } catch (error) {
          rows.push({ where: 'browser', system: worker.system, backend: worker.backend, variant, batch, error: error.message });
          if (/no answer/.test(error.message)) {
            worker.terminate();
            workers.splice(workers.indexOf(worker), 1);
          }
        }
        render();
        await memory.sample(workers);
      }
    }
  }
  for (const worker of workers) {
    try {
      info.workers[`${worker.system}:${worker.backend}`].final_memory = await worker.request('memory', {}, 30);
    } catch { /* reported with its rows */ }
  }
  info.memory = memory.summary();
  render();
  status(`done: ${rows.length} rows.`);
}

main().catch((error) => {
  window.benchError = String(error?.stack ?? error);
  status(`failed: ${error.message}`);
}).finally(() => {
  window.benchDone = true;
});
