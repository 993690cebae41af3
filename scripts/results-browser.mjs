// Checks that the browser trains like the CLI (issue 7). Runs `selu-lecun` for a few short epochs
// (batch 32, at most 5000 train records per epoch, same seed and LR) four ways:
//   - in headless Chromium on forced WebGPU, on the real data/cifar10 with every shard loaded;
//   - in the same page on its CPU backend (Burn flex compiled to wasm: the CLI's backend, other
//     float rounding), to tell float-order effects from backend ones;
//   - with the native CLI (CPU backend);
//   - with the CLI on other seeds, for the scale of seed-to-seed noise.
// Writes to the output folder (default docs/results):
//   browser-selu-lecun.jsonl, browser-selu-lecun-cpu.jsonl   the page's runs, in the CLI's log shape
//                                ("run" line with settings and adapter, probes, epochs, "end")
//   cli-selu-lecun-short.jsonl, cli-selu-lecun-short-seedN.jsonl   the CLI's logs
//   browser-vs-cli.json          per-epoch figures side by side, max |Δ|, seed spread, start check
// and prints the comparison table. Progress goes to stderr. SwiftShader WebGPU takes ~6 min an epoch.
//
//   node scripts/results-browser.mjs --lr 1e-4 [--seed 42] [--noise-runs 8] [--epochs 3]
//     [--records 5000] [--out docs/results]      SELFNORM_BIN: the CLI (default: the release build)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, startServer, openBrowser, waitForState, waitForReady, fillForm } from '../tests/e2e/helpers.mjs';

const VARIANT = 'selu-lecun';
const METRICS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy'];
const log = (text) => process.stderr.write(`   ${text}\n`);

function settingsFromArgs() {
  const { values } = parseArgs({
    options: {
      lr: { type: 'string' }, seed: { type: 'string', default: '42' }, 'noise-runs': { type: 'string', default: '8' },
      epochs: { type: 'string', default: '3' }, records: { type: 'string', default: '5000' }, out: { type: 'string', default: 'docs/results' },
    },
  });
  if (!values.lr) throw new Error('--lr is required (scripts/results browser reads it from the LR search log)');
  const seed = Number(values.seed);
  return {
    variant: VARIANT, lr: Number(values.lr), seed, batch_size: 32, max_train_records: Number(values.records),
    epochs: Number(values.epochs), patience: 100, probe_every: 0, out: resolve(repoRoot, values.out),
    noiseSeeds: Array.from({ length: Number(values['noise-runs']) }, (_, i) => seed + 1 + i),
  };
}

/** The run in headless Chromium on `backend`: `{adapter, chromium, run}` (`run` as the page exports it). */
async function browserRun(s, backend) {
  const { server, url } = await startServer();
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.goto(`${url}?backend=${backend}`);
    let st = await waitForReady(page, 600_000);
    if (st.backend.active !== backend) throw new Error(`the page runs on ${st.backend.active}, not ${backend}: ${st.backend.reason}`);
    if (st.data.name !== 'cifar10') throw new Error(`the page loaded ${st.data.name}, not cifar10`);
    log(`${backend}: dataset loaded (${st.data.loaded.join(' / ')} records), adapter ${JSON.stringify(st.backend.adapter)}`);
    await page.selectOption('#variant', s.variant);
    await fillForm(page, {
      lr: s.lr, seed: s.seed, 'batch-size': s.batch_size, 'max-records': s.max_train_records,
      epochs: s.epochs, patience: s.patience, 'probe-every': s.probe_every,
    });
    await page.click('#btn-train');
    for (let done = 0; done < s.epochs && st.run?.status !== 'finished'; done = st.run.epochs) {
      st = await waitForState(page, (x, n) => x.run && (x.run.epochs > n || x.run.status !== 'running'),
        { arg: done, timeout: 1_800_000, what: `epoch ${done + 1} on ${backend}` });
      if (!['running', 'finished'].includes(st.run.status)) throw new Error(`the ${backend} run ended ${st.run.status}: ${JSON.stringify(st.errors)}`);
      log(`${backend}: epoch ${st.run.epochs} of ${s.epochs}`);
    }
    st = await waitForState(page, (x) => x.run?.status === 'finished' && x.phase === 'idle', { timeout: 600_000, what: `the ${backend} run to finish` });
    if (browser.problems.length) log(`page problems: ${browser.problems.join('; ')}`);
    const chromium = await page.evaluate(async () => (await navigator.userAgentData?.getHighEntropyValues(['uaFullVersion']))?.uaFullVersion ?? navigator.userAgent);
    return { adapter: st.backend.adapter, chromium, run: await exportRun(page, st.run.id) };
  } finally {
    await browser.close();
    server.close();
  }
}

/** The run as the page's Export button downloads it (config, history, results). */
async function exportRun(page, id) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`#runs-table tr[data-run-id="${id}"] [data-action="export"]`).click(),
  ]);
  return JSON.parse(readFileSync(await download.path(), 'utf8')).run;
}

/** The page's run as JSON lines shaped like the CLI's log; returns its events. */
function writeBrowserLog(result, path) {
  const { run } = result;
  const events = [
    { event: 'run', variant: run.variant, backend: run.backend, adapter: result.adapter, chromium: result.chromium, dataset: run.dataset, ...run.config },
    ...run.history.probes.map((probe) => ({ event: 'probe', ...probe })),
    ...run.history.epochs.map((record) => ({ event: 'epoch', record })),
    { event: 'end', valid: run.results.valid, test: run.results.test, stop: run.history.stop },
  ];
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return events;
}

/** The same run with the native CLI, logged to `name`.jsonl; returns the log's events. */
function cliRun(s, seed, name) {
  const bin = process.env.SELFNORM_BIN || join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/selfnorm/target'), 'release/selfnorm');
  const path = join(s.out, `${name}.jsonl`);
  execFileSync(bin, ['train', '--variant', s.variant, '--data', 'data/cifar10', '--lr', s.lr, '--seed', seed,
    '--batch-size', s.batch_size, '--max-train-records', s.max_train_records, '--epochs', s.epochs,
    '--patience', s.patience, '--probe-every', s.probe_every, '--log', path].map(String), { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  log(`CLI (seed ${seed}) → ${path}`);
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}

const epochsOf = (events) => events.filter((e) => e.event === 'epoch').map((e) => Object.fromEntries([...METRICS, 'seconds'].map((k) => [k, e.record[k]])));
/** JSON with sorted keys, to compare the CLI's settings with the page's. */
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
const sameSettings = (cliEvents, pageEvents) => ['model', 'train', 'preprocessing'].every((k) => canonical(cliEvents[0][k]) === canonical(pageEvents[0][k]));

/** Per-metric max |a − b| over the epochs. */
function maxDiff(a, b) {
  return Object.fromEntries(METRICS.map((k) => [k, Math.max(...a.map((e, i) => Math.abs(e[k] - b[i][k])))]));
}

/**
 * The largest relative difference between the per-layer statistics of the first probe (step 0:
 * the initial weights on the first 256 standardized validation images). ~1e-6 means the same
 * initial weights and the same preprocessing.
 */
function startDiff(cliEvents, pageEvents) {
  const [a, b] = [cliEvents, pageEvents].map((events) => events.find((e) => e.event === 'probe' && e.step === 0).stats);
  const rel = (x, y) => Math.abs(x - y) / Math.max(Math.abs(x), 1e-6);
  return Math.max(...['pre_std', 'act_std', 'grad_norm'].flatMap((k) => a[k].map((x, i) => rel(x, b[k][i]))));
}

/** Per epoch and metric, the mean and standard deviation over the CLI's seeds. */
function spread(runs) {
  return runs[0].map((_, i) => Object.fromEntries(METRICS.map((k) => {
    const xs = runs.map((r) => r[i][k]);
    const mean = xs.reduce((p, x) => p + x, 0) / xs.length;
    return [k, { mean, sd: Math.sqrt(xs.reduce((p, x) => p + (x - mean) ** 2, 0) / (xs.length - 1)) }];
  })));
}

function printTable(r) {
  const f = (x) => x.toFixed(4).padStart(8);
  console.log('epoch  metric           CLI   WebGPU      |Δ|  wasm CPU      |Δ|   CLI over seeds (mean ± sd)');
  r.cli.epochs.forEach((c, i) => {
    for (const k of METRICS) {
      const [w, p, sd] = [r.webgpu.epochs[i][k], r.wasm_cpu.epochs[i][k], r.seed_noise.spread[i][k]];
      console.log(`${String(i + 1).padStart(5)}  ${k.padEnd(14)} ${f(c[k])} ${f(w)} ${f(Math.abs(w - c[k]))}  ${f(p)} ${f(Math.abs(p - c[k]))}   ${f(sd.mean)} ± ${sd.sd.toFixed(4)}`);
    }
  });
  console.log(`seconds per epoch: CLI ${r.cli.epochs.map((e) => e.seconds.toFixed(1)).join(', ')}; WebGPU ${r.webgpu.epochs.map((e) => e.seconds.toFixed(0)).join(', ')}; wasm CPU ${r.wasm_cpu.epochs.map((e) => e.seconds.toFixed(1)).join(', ')}`);
  for (const key of ['webgpu', 'wasm_cpu']) {
    console.log(`${key}: same settings as the CLI: ${r[key].same_settings}; step-0 statistics max rel. diff ${r[key].start_max_rel_diff.toExponential(1)}; max |Δ| ${JSON.stringify(r[key].max_abs_diff)}`);
  }
  console.log(`CLI seed ${r.settings.seed} vs seeds ${r.seed_noise.seeds.join(',')}: max |Δ| ${JSON.stringify(r.seed_noise.max_abs_diff)}`);
}

async function main() {
  const s = settingsFromArgs();
  const pages = {};
  for (const backend of ['webgpu', 'cpu']) {
    const result = await browserRun(s, backend);
    const events = writeBrowserLog(result, join(s.out, `browser-${VARIANT}${backend === 'cpu' ? '-cpu' : ''}.jsonl`));
    pages[backend] = { result, events };
  }
  const cliEvents = cliRun(s, s.seed, `cli-${VARIANT}-short`);
  const cli = epochsOf(cliEvents);
  const noise = s.noiseSeeds.map((seed) => epochsOf(cliRun(s, seed, `cli-${VARIANT}-short-seed${seed}`)));
  const pageReport = ({ result, events }) => ({
    backend: result.run.backend, adapter: result.adapter, chromium: result.chromium, epochs: epochsOf(events),
    same_settings: sameSettings(cliEvents, events), start_max_rel_diff: startDiff(cliEvents, events), max_abs_diff: maxDiff(cli, epochsOf(events)),
  });
  const report = {
    settings: { variant: s.variant, lr: s.lr, seed: s.seed, batch_size: s.batch_size, max_train_records: s.max_train_records, epochs: s.epochs, patience: s.patience },
    cli: { backend: 'cpu', epochs: cli },
    webgpu: pageReport(pages.webgpu),
    wasm_cpu: pageReport(pages.cpu),
    seed_noise: {
      seeds: s.noiseSeeds, runs: noise, spread: spread([cli, ...noise]),
      max_abs_diff: Object.fromEntries(METRICS.map((k) => [k, Math.max(...noise.map((n) => maxDiff(cli, n)[k]))])),
    },
  };
  writeFileSync(join(s.out, 'browser-vs-cli.json'), JSON.stringify(report, null, 2) + '\n');
  printTable(report);
}

main().catch((error) => {
  console.error(`results-browser: ${error.stack ?? error}`);
  process.exit(1);
});
