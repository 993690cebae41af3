#!/usr/bin/env node
// Memory over a long run: trains the exercise's 20 × Dense(100) net on the synthetic e2e set
// (600 train records, batch 32) in headless Chromium, on each backend, and records once a second
// what the training worker holds: wasm linear memory and (WebGPU) the GPU buffers alive and their
// bytes, counted by scripts/memory-probe.js, which this script loads into the worker before the
// wasm glue (a scratch copy of the site whose worker.js imports it first).
// Prints one JSON line per epoch and backend (the last sample of that epoch), then a summary
// line per backend; every sample goes to target/memory/<backend>.jsonl.
//   MEMORY_BACKENDS=cpu,webgpu  MEMORY_EPOCHS=30  MEMORY_EPOCHS_WEBGPU=<same>
//   MEMORY_MAX_RECORDS=0 (train records per epoch, 0: all 600; fewer gives more epochs per minute)
//   CHROMIUM=/usr/bin/chromium
// Needs the built site (scripts/build-web) and the selfnorm CLI (for the synthetic set).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from './static-server.mjs';
import { chromium } from 'playwright-core';
import { syntheticDataset, waitForReady, waitForState, fillForm } from '../tests/e2e/helpers.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const env = process.env;
const backends = (env.MEMORY_BACKENDS || 'cpu,webgpu').split(',');
const epochsFor = (backend) => Number((backend === 'webgpu' && env.MEMORY_EPOCHS_WEBGPU) || env.MEMORY_EPOCHS || 30);
const emit = (event, fields) => console.log(JSON.stringify({ event, ...fields }));

/** www/ and data/ as links, but a worker.js that loads the probe first. */
function scratchSite() {
  const dir = mkdtempSync(join(tmpdir(), 'selfnorm-memory-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  for (const entry of readdirSync(join(root, 'www'))) {
    if (entry !== 'worker.js') symlinkSync(join(root, 'www', entry), join(www, entry));
  }
  copyFileSync(join(root, 'scripts/memory-probe.js'), join(www, 'memory-probe.js'));
  writeFileSync(join(www, 'worker.js'), `import './memory-probe.js';\n${readFileSync(join(root, 'www/worker.js'), 'utf8')}`);
  symlinkSync(join(root, 'data'), join(dir, 'data'));
  return dir;
}

/** Headless Chromium as the e2e tests start it, plus `gc()` for the probe. */
async function openBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'selfnorm-memory-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--expose-gc'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return {
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function measure(url, backend, epochs) {
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.goto(`${url}?data=e2e&backend=${backend}`);
    await page.evaluate(() => {
      window.memorySamples = [];
      new BroadcastChannel('selfnorm-memory').onmessage = ({ data }) => {
        const s = window.selfnorm.state;
        window.memorySamples.push({ ...data, epochs: s.epochs, phase: s.phase, status: s.run?.status ?? null });
      };
    });
    const ready = await waitForReady(page, 120_000);
    if (ready.backend.active !== backend) throw new Error(`asked for ${backend}, the page runs ${ready.backend.active}`);
    await fillForm(page, { depth: 20, width: 100, epochs, patience: epochs, 'batch-size': 32, 'max-records': Number(env.MEMORY_MAX_RECORDS || 0) });
    const started = Date.now();
    await page.click('#btn-train');
    await waitForState(page, (s) => s.run?.status === 'finished' && s.phase === 'idle', { what: `${epochs} epochs on ${backend}`, timeout: 3 * 3600_000 });
    await page.waitForTimeout(1500);
    const samples = await page.evaluate(() => window.memorySamples);
    if (browser.problems.length) emit('memory-problems', { backend, problems: browser.problems });
    return { samples, seconds: (Date.now() - started) / 1000, adapter: ready.backend.adapter };
  } finally {
    await browser.close();
  }
}

const mb = (bytes) => (bytes === null ? null : Math.round((bytes / 2 ** 20) * 100) / 100);

function report(backend, epochs, { samples, seconds, adapter }) {
  const out = join(root, 'target/memory');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${backend}.jsonl`), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const perEpoch = [];
  for (let e = 1; e <= epochs; e++) {
    const last = samples.filter((s) => s.epochs === e).at(-1);
    if (!last) continue;
    perEpoch.push(last);
    emit('memory-epoch', { backend, epoch: e, wasm_mb: mb(last.wasmBytes), gpu_buffers: last.gpu.live, gpu_mb: mb(last.gpu.liveBytes), gpu_created: last.gpu.created, gpu_collected: last.gpu.collected });
  }
  const first = perEpoch[0];
  const final = perEpoch.at(-1);
  emit('memory-summary', {
    backend, adapter: adapter?.description ?? adapter?.vendor ?? null, epochs, seconds: Math.round(seconds), samples: samples.length,
    wasm_mb_epoch_1: mb(first?.wasmBytes ?? null), wasm_mb_last: mb(final?.wasmBytes ?? null),
    gpu_mb_epoch_1: mb(first?.gpu.liveBytes ?? null), gpu_mb_last: mb(final?.gpu.liveBytes ?? null), gpu_mb_peak: mb(final?.gpu.peakBytes ?? null),
    gpu_buffers_epoch_1: first?.gpu.live ?? null, gpu_buffers_last: final?.gpu.live ?? null, gpu_buffers_created: final?.gpu.created ?? null,
  });
}

syntheticDataset('e2e');
const site = scratchSite();
const server = await serve(site, 0);
const url = `http://127.0.0.1:${server.address().port}/`;
try {
  for (const backend of backends) {
    const epochs = epochsFor(backend);
    report(backend, epochs, await measure(url, backend, epochs));
  }
} finally {
  server.close();
  rmSync(site, { recursive: true, force: true });
}
