// The browser half of scripts/bench: serves the site, drives www/bench.html in headless Chromium
// (selfnorm and TF.js side by side), then times the app from navigation to its first training
// step with the dataset cached. Prints JSON lines on stdout, progress on stderr.
//
// Environment (all optional):
//   BENCH_VARIANTS=elu-he,elu-he-bn,selu-lecun   BENCH_BATCHES=32,256
//   BENCH_SYSTEMS=selfnorm:webgpu,selfnorm-generic:webgpu,tfjs:webgpu,selfnorm:cpu,tfjs:wasm
//     (selfnorm-generic: the generic autodiff step, the reference of the fused one)
//   BENCH_GPU_STEPS=32:1+12,256:1+4    BENCH_CPU_STEPS=32:26+100,256:26+25   (batch:warm-up+timed;
//     warm-ups are rounded up to 1 + 25k, see www/bench/main.js)
//   BENCH_GPU_INFER_PASSES=1           BENCH_CPU_INFER_PASSES=3
//   BENCH_GPU_INFER_BATCHES=32         BENCH_CPU_INFER_BATCHES=32,256   (settings that time inference)
//   BENCH_COUNT_STEPS=2,7   (timed steps of the two extra runs that count WebGPU calls per step on
//     the WebGPU workers, see www/bench/main.js; 'none': no counting)
//   BENCH_DATA=bench (data/<name>/ for the first-step timing; empty: skip it)
// Only the WebGPU work counts, at batch 32 (a few minutes):
//   BENCH_SYSTEMS=selfnorm:webgpu,tfjs:webgpu BENCH_BATCHES=32 BENCH_DATA= node scripts/bench-browser.mjs
//   BENCH_BROWSER_TIMEOUT_S=900        CHROMIUM=/usr/bin/chromium
import { cpSync, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './static-server.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const env = process.env;
const ARGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  // measureUserAgentSpecificMemory answers at once instead of at the next GC (up to ~20 s later).
  '--enable-blink-features=ForceEagerMeasureMemory'];
const log = (text) => process.stderr.write(`   ${text}\n`);
const emit = (event, fields) => console.log(JSON.stringify({ event, ...fields }));
const list = (value, fallback) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback);

/** "32:5+20,256:2+8" → {32: [5, 20], 256: [2, 8]} */
function parseSteps(text) {
  const steps = {};
  for (const part of text.split(',')) {
    const m = /^\s*(\d+):(\d+)\+(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`bad step setting '${part}' (expected batch:warmup+timed, e.g. 32:5+20)`);
    steps[m[1]] = [Number(m[2]), Number(m[3])];
  }
  return steps;
}

const config = {
  variants: list(env.BENCH_VARIANTS, ['elu-he', 'elu-he-bn', 'selu-lecun']),
  batches: list(env.BENCH_BATCHES, ['32', '256']).map(Number),
  systems: list(env.BENCH_SYSTEMS, ['selfnorm:webgpu', 'selfnorm-generic:webgpu', 'tfjs:webgpu', 'selfnorm:cpu', 'tfjs:wasm']),
  steps: { gpu: parseSteps(env.BENCH_GPU_STEPS || '32:1+12,256:1+4'), cpu: parseSteps(env.BENCH_CPU_STEPS || '32:26+100,256:26+25') },
  infer_passes: { gpu: Number(env.BENCH_GPU_INFER_PASSES || 1), cpu: Number(env.BENCH_CPU_INFER_PASSES || 3) },
  infer_batches: { gpu: list(env.BENCH_GPU_INFER_BATCHES, ['32']).map(Number), cpu: list(env.BENCH_CPU_INFER_BATCHES, ['32', '256']).map(Number) },
  count_steps: env.BENCH_COUNT_STEPS === 'none' ? null : list(env.BENCH_COUNT_STEPS, ['2', '7']).map(Number),
};
if (config.count_steps && !(config.count_steps.length === 2 && config.count_steps[0] >= 1 && config.count_steps[1] > config.count_steps[0])) {
  throw new Error(`bad BENCH_COUNT_STEPS '${env.BENCH_COUNT_STEPS}' (expected N,M with 1 ≤ N < M, e.g. 2,7; or 'none')`);
}
const dataName = env.BENCH_DATA ?? 'bench';
const deadline = Date.now() + Number(env.BENCH_BROWSER_TIMEOUT_S || 900) * 1000;

/** TF.js's browser bundles and wasm binaries, next to the site (www/vendor is not committed). */
function vendorTfjs() {
  const out = join(root, 'www/vendor/tfjs');
  mkdirSync(out, { recursive: true });
  const nm = join(root, 'node_modules/@tensorflow');
  const files = [
    ['tfjs/dist/tf.es2017.min.js'],
    ['tfjs-backend-webgpu/dist/tf-backend-webgpu.es2017.min.js'],
    ['tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js'],
    ['tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'],
    ['tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'],
    ['tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'],
  ];
  for (const [file] of files) {
    const from = join(nm, file);
    if (!existsSync(from)) throw new Error(`${from} is missing: run scripts/setup (npm ci) first`);
    cpSync(from, join(out, file.split('/').pop()));
  }
}

async function openBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'selfnorm-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ARGS,
    viewport: { width: 1440, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log(`console ${message.type()}: ${message.text().slice(0, 300)}`);
  });
  return {
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const remaining = () => Math.max(1_000, deadline - Date.now());

/** The bench page: rows printed as they come, then sizes, memory and the browser. */
async function benchPage(url) {
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.goto(`${url}bench.html?config=${encodeURIComponent(JSON.stringify(config))}`);
    let printed = 0;
    let lastStatus = '';
    for (;;) {
      const { rows, done, status } = await page.evaluate(() => ({
        rows: window.benchResults ?? [], done: window.benchDone, status: document.getElementById('status')?.textContent,
      }));
      for (const row of rows.slice(printed)) emit('bench', row);
      printed = rows.length;
      if (status !== lastStatus) log(status);
      lastStatus = status;
      if (done) break;
      if (Date.now() > deadline) throw new Error(`the bench page did not finish within BENCH_BROWSER_TIMEOUT_S (last: ${status})`);
      await page.waitForTimeout(2_000);
    }
    const { info, error } = await page.evaluate(() => ({ info: window.benchInfo, error: window.benchError ?? null }));
    if (error) throw new Error(`the bench page failed: ${error}`);
    emit('wasm-size', { system: 'selfnorm', ...info.sizes.selfnorm });
    emit('download-size', { system: 'tfjs', ...info.sizes.tfjs });
    emit('memory', info.memory);
    for (const [key, worker] of Object.entries(info.workers)) emit('worker', { key, ...worker });
    emit('browser', { user_agent: info.user_agent, cross_origin_isolated: info.cross_origin_isolated, adapter: info.adapter });
  } finally {
    await browser.close();
  }
}

// Installed in the app before its scripts run: notes when each milestone is first seen and, on
// the timed visit, clicks Train as soon as it is enabled, with layer probes every step so that
// the first progress message comes after step 1 (a progress message follows each loss readback,
// every min(25, probe interval) steps).
function installProbe() {
  if (!new URLSearchParams(location.search).has('bench-first-step')) return;
  const marks = {};
  window.__benchFirstStep = marks;
  const mark = (key, condition) => {
    if (condition && marks[key] == null) marks[key] = performance.now();
  };
  const timer = setInterval(() => {
    const s = window.selfnorm?.state;
    if (!s) return;
    mark('app_state', true);
    mark('backend_ready', s.backend.status === 'ready');
    mark('data_ready_to_train', s.data.readyToTrain);
    mark('data_complete', s.data.status === 'complete');
    const train = document.getElementById('btn-train');
    const probe = document.getElementById('probe-every');
    // The button is enabled before the first render: wait for the state that enables it too.
    const ready = s.phase === 'idle' && s.backend.status === 'ready' && s.data.readyToTrain && s.variants.length > 0;
    if (marks.clicked == null && ready && train && !train.disabled && probe) {
      probe.value = '1';
      probe.dispatchEvent(new Event('input', { bubbles: true }));
      train.click();
      marks.clicked = performance.now();
      marks.backend = s.backend.active;
      marks.from_cache = s.data.fromCache;
      marks.files = s.data.files;
    }
    mark('first_progress', marks.clicked != null && (s.run?.steps ?? 0) >= 1);
    if (['crashed', 'failed'].includes(s.backend.status) || s.data.status === 'error') marks.failed = s.errors.map((e) => e.message).join(' | ');
    if (marks.first_progress != null || marks.failed) clearInterval(timer);
  }, 10);
}

/** Navigation → first training step in the app, on a second visit (dataset in the browser cache). */
async function firstStep(url) {
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.addInitScript(installProbe);
    const target = `${url}?data=${encodeURIComponent(dataName)}`;
    await page.goto(target);
    await page.waitForFunction(() => {
      const s = window.selfnorm?.state;
      return s && ((s.data.status === 'complete' && s.backend.status === 'ready') || ['crashed', 'failed'].includes(s.backend.status) || s.data.status === 'error');
    }, null, { timeout: remaining(), polling: 100 });
    const first = await page.evaluate(() => ({ seconds: performance.now() / 1000, state: window.selfnorm.state }));
    if (first.state.backend.status !== 'ready' || first.state.data.status !== 'complete') {
      emit('first-step', { seconds: null, dataset: dataName, note: `the app did not get ready: ${first.state.errors.map((e) => e.message).join(' | ')}` });
      return;
    }
    log(`first visit: dataset loaded and worker ready after ${first.seconds.toFixed(1)} s; visiting again`);
    await page.goto(`${target}&bench-first-step`);
    try {
      await page.waitForFunction(() => window.__benchFirstStep?.first_progress != null || window.__benchFirstStep?.failed,
        null, { timeout: Math.min(remaining(), 120_000), polling: 100 });
    } catch (error) {
      const seen = await page.evaluate(() => ({ marks: window.__benchFirstStep, state: window.selfnorm?.state })).catch(() => null);
      emit('first-step', { seconds: null, dataset: dataName, note: `no first step: ${error.message.split('\n')[0]}`, seen });
      return;
    }
    const marks = await page.evaluate(() => window.__benchFirstStep);
    if (marks.failed) {
      emit('first-step', { seconds: null, dataset: dataName, note: `the app failed on the second visit: ${marks.failed}` });
      return;
    }
    const s = (key) => (marks[key] == null ? null : marks[key] / 1000);
    emit('first-step', {
      seconds: s('first_progress'),
      dataset: dataName,
      backend: marks.backend,
      files_from_cache: marks.from_cache,
      files: marks.files,
      backend_ready_s: s('backend_ready'),
      data_ready_to_train_s: s('data_ready_to_train'),
      data_complete_s: s('data_complete'),
      clicked_s: s('clicked'),
      first_visit_ready_s: first.seconds,
      note: 'performance.now() on the second visit (0 = navigation start); Train clicked by a script as soon as it was enabled; the first progress message follows step 1 (probes every step)',
    });
  } finally {
    await browser.close();
  }
}

vendorTfjs();
const server = await serve(root, 0, '127.0.0.1', { site: 'www' });
const url = `http://127.0.0.1:${server.address().port}/`;
try {
  await benchPage(url);
  if (dataName) {
    if (existsSync(join(root, 'data', dataName, 'manifest.json'))) await firstStep(url);
    else emit('first-step', { seconds: null, note: `data/${dataName}/manifest.json is missing: make it with selfnorm synth-data` });
  }
} finally {
  server.close();
}
