// Share and compare: the run settings travel in a link (and a bad link is named and ignored), a
// run file opens from another origin with `?run=` (through the same strict import; a damaged one
// is refused), two runs are compared on shared axes, and a run's history leaves as CSV that
// Python's csv module reads, number for number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { cli, syntheticDataset, waitForState, waitForReady, fillForm, state, openBrowser, useSite, ensureOutputDir } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });

const SMALL = { depth: 3, width: 16, epochs: 2, 'probe-every': 3, patience: 5 };
/** The runs trained here: `{id, name, file}` with `file` their exported run file (parsed). */
const trained = [];

/** A form field's value (a checkbox's checked state). */
const fieldValue = (page, id) => page.locator(`#${id}`).evaluate((el) => (el.type === 'checkbox' ? el.checked : el.value));

/** Waits until the page's link has been read: its settings applied, or its notice shown. */
async function linkSettled(page, predicate) {
  await page.waitForFunction(predicate, null, { timeout: 30_000, polling: 100 });
}

/** Downloads what clicking `selector` offers; answers its text. */
async function downloadText(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()]);
  return readFile(await download.path(), 'utf8');
}

async function trainAndExport(fields) {
  await fillForm(site.page, fields);
  const before = (await state(site.page)).runs.length;
  await site.page.click('#btn-train');
  const s = await waitForState(site.page, (st, n) => st.runs.length === n + 1 && st.run?.status === 'finished' && st.run.hasWeights && st.phase === 'idle',
    { arg: before, what: 'the run to finish', timeout: 90_000 });
  const { id, name } = s.run;
  const file = JSON.parse(await downloadText(site.page, `#runs-table tr[data-run-id="${id}"] [data-action="export"]`));
  trained.push({ id, name, file });
  return trained.at(-1);
}

test('three edited settings travel in the copied link to a fresh profile', async () => {
  await waitForReady(site.page);
  await fillForm(site.page, { variant: 'selu-lecun' });
  await fillForm(site.page, { depth: 7, width: 48, activation: 'tanh', epochs: 3 });
  const origin = new URL(site.url).origin;
  await site.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  await site.page.click('#btn-copy-link');
  await site.page.locator('[data-testid="copy-link-status"]', { hasText: 'Link copied.' }).waitFor({ timeout: 5000 });
  const link = await site.page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, await site.page.evaluate(() => location.href));
  const hash = new URLSearchParams(new URL(link).hash.slice(1));
  assert.equal(hash.get('variant'), 'selu-lecun');
  assert.equal(hash.get('depth'), '7');
  assert.equal(hash.get('width'), '48');
  assert.equal(hash.get('activation'), 'tanh');
  assert.equal(hash.get('epochs'), '3');
  assert.equal(hash.get('preprocessing'), null, "the preset's own values stay out of the link");

  const fresh = await openBrowser();
  try {
    await fresh.page.goto(link);
    await linkSettled(fresh.page, () => document.querySelector('#depth')?.value === '7');
    assert.equal(await fieldValue(fresh.page, 'variant'), 'selu-lecun');
    assert.equal(await fieldValue(fresh.page, 'width'), '48');
    assert.equal(await fieldValue(fresh.page, 'activation'), 'tanh');
    assert.equal(await fieldValue(fresh.page, 'epochs'), '3');
    assert.equal(await fieldValue(fresh.page, 'preprocessing'), 'standardize', "the rest is the preset's");
    assert.match(await fresh.page.locator('[data-testid="variant-modified"]').innerText(), /depth 7.*width 48.*tanh/);
    assert.deepEqual((await state(fresh.page)).errors, []);
    assert.deepEqual(fresh.problems, []);
  } finally {
    await fresh.close();
  }
  // Back to the preset for the runs below.
  await fillForm(site.page, { variant: 'elu-he' });
});

test('a link with an unknown variant or a negative width says so and keeps the defaults', async () => {
  const fresh = await openBrowser();
  try {
    const page = fresh.page;
    await page.goto(`${site.url}?data=e2e#variant=nope&depth=7`);
    const s = await waitForState(page, (st) => st.errors.some((e) => /link/.test(e.message)), { what: 'the notice on the link' });
    const notice = s.errors.find((e) => /link/.test(e.message)).message;
    assert.match(notice, /were not applied/);
    assert.match(notice, /unknown variant 'nope' \(expected one of: elu-he, elu-he-bn, selu-lecun, selu-alpha-dropout, swish-he, swish-he-bn\)/);
    assert.equal(await fieldValue(page, 'variant'), 'elu-he');
    assert.equal(await fieldValue(page, 'depth'), '20');

    const second = await fresh.context.newPage();
    await second.goto(`${site.url}?data=e2e#variant=selu-lecun&depth=7&width=-5`);
    const t = await waitForState(second, (st) => st.errors.some((e) => /link/.test(e.message)), { what: 'the notice on the second link' });
    assert.match(t.errors.find((e) => /link/.test(e.message)).message, /units per layer must be a whole number ≥ 1 \(got "-5"\)/);
    assert.equal(await fieldValue(second, 'variant'), 'elu-he', 'nothing of the link was applied');
    assert.equal(await fieldValue(second, 'depth'), '20');
    assert.equal(await fieldValue(second, 'width'), '100');
    assert.match(second.url(), /#variant=elu-he&/, 'the address now holds what the form shows');
    assert.deepEqual(fresh.problems, []);
  } finally {
    await fresh.close();
  }
});

test('two runs compared: both on each chart, the columns are their histories', async () => {
  const a = await trainAndExport({ ...SMALL, activation: 'elu' });
  const b = await trainAndExport({ ...SMALL, depth: 4, activation: 'relu' });
  for (const run of [a, b]) await site.page.locator(`#runs-table tr[data-run-id="${run.id}"] [data-action="compare"]`).check();
  const s = await waitForState(site.page, (st) => st.comparison !== null, { what: 'the comparison' });
  const c = s.comparison;
  assert.deepEqual(c.runs.map((r) => r.id), [a.id, b.id]);
  const differs = Object.fromEntries(c.differences.map((d) => [d.setting, d.values]));
  assert.deepEqual(differs.depth, [3, 4]);
  assert.deepEqual(differs.activation, ['elu', 'relu']);
  assert.match(await site.page.locator('[data-testid="compare-differences"]').innerText(), /activation\s+elu\s+relu/);

  [a, b].forEach((run, index) => {
    const { epochs, probes } = run.file.run.history;
    const series = (columns, field) => columns.series.find((x) => x.run === index && (!field || x.field === field)).y;
    assert.deepEqual(series(c.loss, 'val_loss'), epochs.map((e) => e.val_loss), `${run.name}: validation loss`);
    assert.deepEqual(series(c.loss, 'train_loss'), epochs.map((e) => e.train_loss));
    assert.deepEqual(series(c.accuracy, 'val_accuracy'), epochs.map((e) => e.val_accuracy));
    const last = probes.at(-1);
    const layers = (column) => [...column, ...Array(4 - column.length).fill(null)];
    assert.deepEqual(series(c.depth), layers(last.stats.act_std), `${run.name}: activation std at the end`);
    assert.deepEqual(series(c.gradNorm), layers(last.stats.grad_norm));
    const stepped = probes.filter((p) => p.stats.update_ratio).at(-1);
    assert.deepEqual(series(c.updateRatio), layers(stepped.stats.update_ratio));
  });
  // Each chart's legend names both runs.
  for (const chart of await site.page.locator('#compare .stat-panel').all()) {
    const legend = await chart.locator('.u-legend').innerText();
    for (const run of [a, b]) assert.ok(legend.includes(run.name), `${run.name} in the legend: ${legend}`);
  }

  await site.page.locator('#compare').screenshot({ path: join(ensureOutputDir(), 'compare.png') });

  // At a chosen epoch, each run's statistics come from its last probe of that epoch.
  await site.page.selectOption('#compare-epoch', '1');
  const e1 = await waitForState(site.page, (st) => st.comparison?.epoch === 1, { what: 'the comparison at epoch 1' });
  [a, b].forEach((run, index) => {
    const probe = run.file.run.history.probes.filter((p) => p.epoch <= 1 && p.weights?.kind !== 'restored-best').at(-1);
    const shown = e1.comparison.depth.series[index];
    assert.equal(shown.probe.step, probe.step);
    assert.deepEqual(shown.y.slice(0, probe.stats.act_std.length), probe.stats.act_std);
  });
  assert.deepEqual(site.browser.problems, []);
});

const EPOCH_COLUMNS = ['epoch', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'lr', 'samples', 'train_seconds', 'seconds', 'samples_per_s'];
const STAT_COLUMNS = ['pre_mean', 'pre_std', 'act_mean', 'act_std', 'saturated', 'dead', 'grad_norm', 'unit_spread'];

/** The rows of a CSV file as Python's csv module reads them (each number also through float()). */
function pythonRows(text) {
  const script = `
import csv, io, json, sys
rows = list(csv.reader(io.StringIO(sys.stdin.read(), newline="")))
for row in rows[1:]:
    for field in row:
        if field not in ("", "current", "restored-best"):
            float(field)
json.dump(rows, sys.stdout)
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: text, encoding: 'utf8' }));
}

const number = (field) => ({ inf: Infinity, '-inf': -Infinity }[field] ?? Number(field));

/**
 * Checks CSV tables (as Python read them) against a history's epochs and probes, number for
 * number; the statistics as the f32 they are (the CSV holds the shortest text of that f32).
 */
function assertCsvMatches(epochRows, probeRows, { epochs, probes }) {
  assert.deepEqual(epochRows[0], EPOCH_COLUMNS);
  assert.equal(epochRows.length, 1 + epochs.length);
  epochs.forEach((e, i) => EPOCH_COLUMNS.forEach((column, j) => assert.equal(number(epochRows[1 + i][j]), e[column], `epoch ${e.epoch} ${column}`)));

  assert.deepEqual(probeRows[0], ['step', 'epoch', 'weights', 'weights_epoch', 'layer', ...STAT_COLUMNS, 'update_ratio']);
  const layers = probes[0].stats.act_std.length;
  assert.equal(probeRows.length, 1 + probes.length * layers);
  probes.forEach((p, i) => {
    for (let l = 0; l < layers; l++) {
      const r = probeRows[1 + i * layers + l];
      const what = `probe ${i} layer ${l + 1}`;
      assert.equal(number(r[0]), p.step, what);
      assert.equal(number(r[1]), p.epoch, what);
      assert.equal(r[2], p.weights?.kind ?? 'current', what);
      assert.equal(r[3], p.weights?.kind === 'restored-best' ? String(p.weights.epoch) : '', what);
      assert.equal(number(r[4]), l + 1, what);
      STAT_COLUMNS.forEach((column, j) => assert.equal(Math.fround(number(r[5 + j])), Math.fround(p.stats[column][l]), `${what} ${column}`));
      if (p.stats.update_ratio) assert.equal(Math.fround(number(r[13])), Math.fround(p.stats.update_ratio[l]), `${what} update_ratio`);
      else assert.equal(r[13], '', `${what}: no update ratio`);
    }
  });
  assert.ok(probeRows.some((r) => r[2] === 'restored-best'), 'the final probe of the restored weights is in');
}

test("a run's epochs and probes download as CSV that Python reads, number for number", async () => {
  const [run] = trained;
  const row = `#runs-table tr[data-run-id="${run.id}"]`;
  const epochRows = pythonRows(await downloadText(site.page, `${row} [data-action="csv-epochs"]`));
  const probeRows = pythonRows(await downloadText(site.page, `${row} [data-action="csv-probes"]`));
  assertCsvMatches(epochRows, probeRows, run.file.run.history);
});

test('the CLI writes the same tables with train --csv, matching its own JSON lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selfnorm-csv-'));
  try {
    const path = join(dir, 'run.csv');
    const lines = execFileSync(cli(), ['train', '--data', 'synthetic', '--max-train-records', '320', '--epochs', '2', '--depth', '3',
      '--width', '16', '--probe-every', '5', '--readback-every', '5', '--csv', path], { encoding: 'utf8' })
      .trim().split('\n').map((line) => JSON.parse(line));
    const history = {
      epochs: lines.filter((l) => l.event === 'epoch').map((l) => l.record),
      probes: lines.filter((l) => l.event === 'probe'),
    };
    assert.equal(history.epochs.length, 2);
    assertCsvMatches(pythonRows(readFileSync(path, 'utf8')), pythonRows(readFileSync(join(dir, 'run.probes.csv'), 'utf8')), history);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A host on another origin: `/open/NAME` with CORS allowed, `/closed/NAME` without. */
async function corsHost(files) {
  const server = createServer((req, res) => {
    const [, access, name] = new URL(req.url, 'http://x').pathname.split('/');
    const body = files[name];
    const headers = { 'Content-Type': 'application/json', ...(access === 'open' ? { 'Access-Control-Allow-Origin': '*' } : {}) };
    res.writeHead(body === undefined ? 404 : 200, headers);
    res.end(body ?? 'not here');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test('?run=URL imports a run file from a CORS host; a damaged, missing or closed one is refused and nothing is stored', async () => {
  const [run] = trained;
  const damaged = structuredClone(run.file);
  damaged.run.history.epochs[1].val_accuracy = 7;
  const host = await corsHost({ 'good.json': JSON.stringify(run.file), 'damaged.json': JSON.stringify(damaged) });
  try {
    const page = site.page;
    const before = (await state(page)).runs.length;
    await page.goto(`${site.url}?data=e2e&run=${encodeURIComponent(`${host.url}open/good.json`)}`);
    const s = await waitForState(page, (st, n) => st.runs.length === n + 1, { arg: before, what: 'the run from the link' });
    const imported = s.runs.at(-1);
    assert.equal(imported.imported, true);
    assert.equal(imported.epochs, run.file.run.history.epochs.length);
    assert.equal(imported.probes, run.file.run.history.probes.length);
    assert.equal(imported.hasWeights, true);
    // Once stored, the address leaves the URL, so a reload does not import it again.
    await page.waitForFunction(() => !location.search.includes('run='), null, { timeout: 10_000 });
    // Every number came through, and which weights each probe measured. Asked at once: the
    // worker may still be starting, and the CSV request waits for it.
    const row = `#runs-table tr[data-run-id="${imported.id}"]`;
    assertCsvMatches(pythonRows(await downloadText(page, `${row} [data-action="csv-epochs"]`)),
      pythonRows(await downloadText(page, `${row} [data-action="csv-probes"]`)), run.file.run.history);

    const refusals = [
      ['open/damaged.json', /^Import failed: damaged\.json: run\.history\.epochs\[1\]\.val_accuracy must be in \[0, 1\] \(got 7\)/],
      ['open/missing.json', /could not be fetched: the host answered 404/],
      ['closed/good.json', /could not be fetched: the host cannot be reached, or it does not let other sites read the file \(CORS\)/],
    ];
    for (const [path, message] of refusals) {
      await page.goto(`${site.url}?data=e2e&run=${encodeURIComponent(host.url + path)}`);
      const t = await waitForState(page, (st, m) => st.errors.some((e) => new RegExp(m).test(e.message)), { arg: message.source, what: `the refusal of ${path}` });
      assert.equal(t.runs.length, before + 1, `${path} adds no run`);
    }
    // A reload finds the same runs: the refused files stored nothing.
    await page.reload();
    const after = await waitForReady(page);
    assert.equal(after.runs.length, before + 1);
    assert.deepEqual(site.browser.problems.filter((p) => p.startsWith('page error')), []);
  } finally {
    host.server.close();
  }
});
