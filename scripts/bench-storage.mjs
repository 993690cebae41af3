#!/usr/bin/env node
// Storage benchmark: the run store (www/io/store.js) against the one it replaced (the version-2
// store, whole run records; taken from git), in headless Chromium with real IndexedDB.
//   1. bytes handed to IndexedDB per epoch of a live run (CIFAR-10-shaped: 56 progress chunks
//      of 25 steps per epoch, a probe of 20 layers every 4 chunks, a save every 2 chunks);
//   2. the page's start-up reads with N stored runs (open, mark cut-off runs, list, lessons, the
//      shown run's history): median of 3 reloads, and the JS heap they leave. For the current
//      store, the N runs are written by the old one and migrated on the first open (timed too),
//      so the migration is exercised on the same data and checked to keep every run.
// Prints JSON lines. Not a test: figures depend on the machine.
//   BENCH_STORAGE_RUNS=200  BENCH_STORAGE_STORED_EPOCHS=20  BENCH_STORAGE_LIVE_EPOCHS=30
//   BENCH_STORAGE_BEFORE=<git revision of the old store.js> (default: the parent of the commit
//   that introduced the version-3 store)   CHROMIUM=/usr/bin/chromium
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from './static-server.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const env = process.env;
const runs = Number(env.BENCH_STORAGE_RUNS || 200);
const storedShape = { epochs: Number(env.BENCH_STORAGE_STORED_EPOCHS || 20), progressPerEpoch: 56, probeEvery: 4, layers: 20 };
const liveShape = { ...storedShape, epochs: Number(env.BENCH_STORAGE_LIVE_EPOCHS || 30), flushEvery: 2 };
const emit = (event, fields) => console.log(JSON.stringify({ event, ...fields }));
const log = (text) => process.stderr.write(`   ${text}\n`);

function oldStoreSource() {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  // The store lived at www/store.js until www/io/ held it: the first commit that changed the
  // count of the line is the one that wrote it (a later move only carries it).
  const paths = ['www/store.js', 'www/io/store.js'];
  const revision = env.BENCH_STORAGE_BEFORE || `${git('log', '--reverse', '--format=%H', '-S', 'const DB_VERSION = 3;', '--', ...paths).split('\n')[0]}^`;
  const path = paths.find((p) => git('ls-tree', '--name-only', revision, p));
  return git('show', `${revision}:${path}`);
}

/** A scratch site: the two stores and the bench page, served like www/. */
function scratchSite() {
  const dir = mkdtempSync(join(tmpdir(), 'selfnorm-bench-storage-'));
  const www = join(dir, 'www');
  mkdirSync(www);
  mkdirSync(join(dir, 'data'));
  copyFileSync(join(root, 'www/io/store.js'), join(www, 'store.js'));
  copyFileSync(join(root, 'www/io/store-layout.js'), join(www, 'store-layout.js'));
  writeFileSync(join(www, 'store-before.js'), oldStoreSource());
  copyFileSync(join(root, 'scripts/bench-storage-page.js'), join(www, 'bench-storage-page.js'));
  writeFileSync(join(www, 'index.html'), '<!doctype html><meta charset="utf-8"><title>storage bench</title>');
  return dir;
}

async function withBrowser(url, body) {
  const profile = mkdtempSync(join(tmpdir(), 'selfnorm-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    page.setDefaultTimeout(0);
    await page.goto(url);
    const call = async (fn, ...args) => page.evaluate(async ([name, a]) => (await import('./bench-storage-page.js'))[name](...a), [fn, args]);
    return await body({ page, call, reload: () => page.reload() });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function liveBench(url, which) {
  const r = await withBrowser(url, ({ call }) => call('liveRun', which, liveShape));
  const sum = r.perEpoch.reduce((a, b) => a + b, 0);
  emit('storage-write', {
    store: which, epochs: liveShape.epochs, steps: r.steps, probes: r.probes,
    bytes_epoch_1: r.perEpoch[0], bytes_epoch_10: r.perEpoch[9] ?? null, bytes_last_epoch: r.perEpoch.at(-1),
    bytes_per_epoch_mean: Math.round(sum / r.perEpoch.length), bytes_total: sum, bytes_at_finish: r.finish, bytes_per_epoch: r.perEpoch,
  });
}

async function startUpBench(url, which) {
  await withBrowser(url, async ({ call, reload }) => {
    const t0 = Date.now();
    await call('populate', 'before', runs, storedShape);
    log(`${runs} runs stored by the old store in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const times = [];
    let last = null;
    if (which === 'after') {
      await reload();
      last = await call('startUp', 'after');
      emit('storage-migration', { runs_kept: last.runs, of: runs, ms: Math.round(last.ms), open_ms: Math.round(last.openMs) });
      if (last.runs !== runs) throw new Error(`the migration kept ${last.runs} of ${runs} runs`);
    }
    for (let i = 0; i < 3; i++) {
      await reload();
      last = await call('startUp', which);
      times.push(last.ms);
    }
    emit('storage-startup', {
      store: which, runs: last.runs, epochs_each: storedShape.epochs, ms_median: Math.round(median(times)), ms: times.map(Math.round),
      heap_mb: last.heapMb === null ? null : Math.round(last.heapMb * 10) / 10, shown_run: last.latest,
    });
  });
}

const site = scratchSite();
const server = await serve(site, 0);
const url = `http://127.0.0.1:${server.address().port}/`;
try {
  emit('storage-settings', { runs, stored_run: storedShape, live_run: liveShape, cpus: (await import('node:os')).cpus().length });
  for (const which of ['before', 'after']) await liveBench(url, which);
  for (const which of ['before', 'after']) await startUpBench(url, which);
} finally {
  server.close();
  rmSync(site, { recursive: true, force: true });
}
