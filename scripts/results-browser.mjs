// Checks that the browser trains like the CLI (issue 7): one short `selu-lecun` run in headless
// Chromium on forced WebGPU (the real data/cifar10, every shard loaded first), the same run with
// the native CLI (CPU backend), and the CLI again with other seeds for the scale of seed-to-seed
// noise. Writes, in the output folder (default docs/results):
//   browser-selu-lecun.jsonl     the browser run: a "run" line (settings, adapter), one line per epoch
//   cli-selu-lecun-short.jsonl   the CLI's log of the same run (cli-selu-lecun-short-seedN.jsonl: other seeds)
//   browser-vs-cli.json          per-epoch figures side by side, max absolute differences, seed noise
// and prints the comparison table. Progress goes to stderr.
//
//   node scripts/results-browser.mjs --lr 1e-4 [--seed 42] [--noise-seeds 43,44] [--epochs 3]
//     [--records 5000] [--out docs/results]      SELFNORM_BIN: the CLI (default: the release build)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, startServer, openBrowser, waitForState, waitForReady, fillForm } from '../tests/e2e/helpers.mjs';

const VARIANT = 'selu-lecun';
const METRICS = ['train_loss', 'train_accuracy', 'val_loss', 'val_accuracy'];
const log = (text) => process.stderr.write(`   ${text}\n`);

function settingsFromArgs() {
  const { values } = parseArgs({
    options: {
      lr: { type: 'string' }, seed: { type: 'string', default: '42' }, 'noise-seeds': { type: 'string', default: '43,44' },
      epochs: { type: 'string', default: '3' }, records: { type: 'string', default: '5000' }, out: { type: 'string', default: 'docs/results' },
    },
  });
  if (!values.lr) throw new Error('--lr is required (scripts/results browser reads it from the LR search log)');
  return {
    variant: VARIANT, lr: Number(values.lr), seed: Number(values.seed), batch_size: 32, max_train_records: Number(values.records),
    epochs: Number(values.epochs), patience: 100, probe_every: 0, out: join(repoRoot, values.out),
    noiseSeeds: values['noise-seeds'].split(',').filter(Boolean).map(Number),
  };
}

/** The run in headless Chromium on WebGPU: `{adapter, chromium, run}` (`run` as the page exports it). */
async function browserRun(s) {
  const { server, url } = await startServer();
  const browser = await openBrowser();
  try {
    const { page } = browser;
    await page.goto(`${url}?backend=webgpu`);
    let st = await waitForReady(page, 600_000);
    if (st.backend.active !== 'webgpu') throw new Error(`the page runs on ${st.backend.active}, not WebGPU: ${st.backend.reason}`);
    if (st.data.name !== 'cifar10') throw new Error(`the page loaded ${st.data.name}, not cifar10`);
    log(`dataset loaded (${st.data.loaded.join(' / ')} records), WebGPU on ${JSON.stringify(st.backend.adapter)}`);
    await page.selectOption('#variant', s.variant);
    await fillForm(page, {
      lr: s.lr, seed: s.seed, 'batch-size': s.batch_size, 'max-records': s.max_train_records,
      epochs: s.epochs, patience: s.patience, 'probe-every': s.probe_every,
    });
    await page.click('#btn-train');
    for (let done = 0; done < s.epochs; done = st.run.epochs) {
      st = await waitForState(page, (x, n) => x.run && (x.run.epochs > n || x.run.status !== 'running'),
        { arg: done, timeout: 1_800_000, what: `epoch ${done + 1} in the browser` });
      if (st.run.status !== 'running' && st.run.status !== 'finished') throw new Error(`the browser run ended ${st.run.status}: ${JSON.stringify(st.errors)}`);
      log(`browser: epoch ${st.run.epochs} of ${s.epochs}`);
      if (st.run.status === 'finished') break;
    }
    st = await waitForState(page, (x) => x.run?.status === 'finished' && x.phase === 'idle',
      { timeout: 600_000, what: 'the browser run to finish' });
    if (browser.problems.length) log(`page problems: ${browser.problems.join('; ')}`);
    const chromium = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
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

/** JSON with sorted keys, to compare the CLI's settings with the page's. */
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
const epochsOf = (events) => events.filter((e) => e.event === 'epoch').map((e) => e.record);
const pick = (record) => Object.fromEntries([...METRICS, 'seconds'].map((k) => [k, record[k]]));

/** Per-metric max |a − b| over the epochs both have. */
function maxDiff(a, b) {
  const n = Math.min(a.length, b.length);
  return Object.fromEntries(METRICS.map((k) => [k, Math.max(...Array.from({ length: n }, (_, i) => Math.abs(a[i][k] - b[i][k])))]));
}

function writeBrowserLog(s, result, path) {
  const { run } = result;
  const lines = [
    { event: 'run', variant: run.variant, backend: run.backend, adapter: result.adapter, chromium: result.chromium, dataset: run.dataset, ...run.config },
    ...run.history.epochs.map((record) => ({ event: 'epoch', record })),
    { event: 'end', valid: run.results.valid, test: run.results.test, stop: run.history.stop },
  ];
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

function printTable(cli, web) {
  const f = (x, d = 4) => x.toFixed(d).padStart(8);
  console.log('epoch | train loss CLI  browser   |Δ|    | val loss CLI  browser   |Δ|    | val acc CLI  browser  |Δ|    | s/epoch CLI browser');
  cli.forEach((c, i) => {
    const w = web[i];
    const cell = (k) => `${f(c[k])} ${f(w[k])} ${f(Math.abs(c[k] - w[k]))}`;
    console.log(`${String(i + 1).padStart(5)} | ${cell('train_loss')}   | ${cell('val_loss')}   | ${cell('val_accuracy')} | ${f(c.seconds, 1)} ${f(w.seconds, 1)}`);
  });
}

async function main() {
  const s = settingsFromArgs();
  const result = await browserRun(s);
  writeBrowserLog(s, result, join(s.out, `browser-${VARIANT}.jsonl`));
  const cliEvents = cliRun(s, s.seed, `cli-${VARIANT}-short`);
  const cli = epochsOf(cliEvents).map(pick);
  const web = result.run.history.epochs.map(pick);
  const noise = s.noiseSeeds.map((seed) => ({ seed, epochs: epochsOf(cliRun(s, seed, `cli-${VARIANT}-short-seed${seed}`)).map(pick) }));
  const seedDiffs = noise.map((n) => maxDiff(cli, n.epochs));
  const cliRunLine = cliEvents.find((e) => e.event === 'run');
  const sameConfig = ['model', 'train', 'preprocessing'].every((k) => canonical(cliRunLine[k]) === canonical(result.run.config[k]));
  const report = {
    settings: { variant: s.variant, lr: s.lr, seed: s.seed, batch_size: s.batch_size, max_train_records: s.max_train_records, epochs: s.epochs, patience: s.patience },
    same_config: sameConfig,
    cli: { backend: 'cpu', epochs: cli },
    browser: { backend: result.run.backend, adapter: result.adapter, chromium: result.chromium, epochs: web },
    max_abs_diff: maxDiff(cli, web),
    seed_noise: { runs: noise, max_abs_diff_per_seed: seedDiffs, max_abs_diff: Object.fromEntries(METRICS.map((k) => [k, Math.max(...seedDiffs.map((d) => d[k]))])) },
  };
  writeFileSync(join(s.out, 'browser-vs-cli.json'), JSON.stringify(report, null, 2) + '\n');
  printTable(cli, web);
  console.log(`max |Δ| CLI vs browser (seed ${s.seed}): ${JSON.stringify(report.max_abs_diff)}`);
  console.log(`max |Δ| CLI seed ${s.seed} vs seeds ${s.noiseSeeds}: ${JSON.stringify(report.seed_noise.max_abs_diff)}`);
  if (!sameConfig) console.log('note: the CLI and the browser ran with different settings (see the two "run" lines)');
}

main().catch((error) => {
  console.error(`results-browser: ${error.stack ?? error}`);
  process.exit(1);
});
