// The first minute, from a fresh browser profile: a host that serves the official archive beside
// the site (what scripts/serve and scripts/build-site --archive give) is ready to train without a
// click; `?archive=URL` converts an archive from another host that allows CORS (and says what is
// wrong when it does not); a host with no dataset at all opens on a welcome, not an error, where
// the preview and the lessons work on a synthetic set; a click on Train as early as a person can
// make starts a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot, openBrowser, startServer, syntheticDataset, waitForState, fillForm } from './helpers.mjs';

const ARCHIVE = process.env.SELFNORM_CIFAR10_ARCHIVE || resolve(repoRoot, '../shared/data/cifar-10-binary.tar.gz');
const noArchive = !existsSync(ARCHIVE) && `no archive at ${ARCHIVE}`;

/** `body(page, url)` on a fresh profile and a server of the site whose /data/ is `dataDir` (false: none). */
async function visit(dataDir, body) {
  const { server, url } = await startServer({ data: dataDir });
  const browser = await openBrowser();
  try {
    await body(browser.page, url, browser);
  } finally {
    await browser.close();
    server.close();
  }
}

/** Another origin that serves `file` at /<name>, with CORS allowed or not. */
async function archiveHost(file, { cors }) {
  const host = createServer((req, res) => {
    const headers = cors ? { 'Access-Control-Allow-Origin': '*' } : {};
    if (!req.url.endsWith('/cifar-10-binary.tar.gz')) return res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'Content-Type': 'application/gzip', 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise((done) => host.listen(0, '127.0.0.1', done));
  return { host, url: `http://127.0.0.1:${host.address().port}/cifar-10-binary.tar.gz` };
}

const readyToTrain = (s) => s.backend.status === 'ready' && s.phase === 'idle' && s.data.status === 'complete' && s.data.readyToTrain;

test('a host with the archive beside the site: ready to train within 60 s of loading, without a click', { skip: noArchive, timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfnorm-archive-host-'));
  symlinkSync(ARCHIVE, join(dataDir, 'cifar-10-binary.tar.gz'));
  try {
    await visit(dataDir, async (page, url) => {
      const start = Date.now();
      await page.goto(url);
      const s = await waitForState(page, readyToTrain, { timeout: 60_000, what: 'a page ready to train' });
      const seconds = (Date.now() - start) / 1000;
      console.log(`# ready to train ${seconds.toFixed(1)} s after loading (the archive converted in ${s.conversion.seconds.toFixed(1)} s)`);
      assert.equal(s.conversion.status, 'done');
      assert.match(s.conversion.url ?? '', /\/data\/cifar-10-binary\.tar\.gz$/, 'made without a click, from the archive beside the site');
      assert.deepEqual(s.data.expected, [45_000, 5_000, 10_000]);
      assert.deepEqual(s.errors, []);
      assert.equal(await page.locator('#btn-train').isEnabled(), true);
      // Kept: the next visit reads the browser's copy and converts nothing.
      await page.reload();
      const again = await waitForState(page, readyToTrain, { timeout: 60_000, what: 'the kept dataset' });
      assert.equal(again.conversion, null);
      assert.equal(again.data.fromCache, again.data.files);
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('on a phone the archive the host offers waits for a yes that states its size', { skip: noArchive, timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfnorm-archive-host-'));
  symlinkSync(ARCHIVE, join(dataDir, 'cifar-10-binary.tar.gz'));
  try {
    await visit(dataDir, async (page, url) => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(url);
      const s = await waitForState(page, (st) => st.data.awaitingConsent && st.backend.status === 'ready', { what: 'the question' });
      assert.equal(s.conversion, null, 'nothing downloaded before the yes');
      assert.match(await page.locator('[data-testid="consent-text"]').innerText(), /archive is 16\d\.\d\u00a0MiB/);
      await page.click('#btn-download');
      await waitForState(page, readyToTrain, { timeout: 90_000, what: 'the dataset after the yes' });
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('?archive=URL converts an archive from another host that allows CORS', { skip: noArchive, timeout: 180_000 }, async () => {
  const { host, url: archive } = await archiveHost(ARCHIVE, { cors: true });
  try {
    await visit(false, async (page, url) => {
      await page.goto(`${url}?archive=${encodeURIComponent(archive)}`);
      const s = await waitForState(page, readyToTrain, { timeout: 90_000, what: 'the dataset from ?archive=' });
      assert.equal(s.conversion.url, archive);
      assert.deepEqual(s.data.expected, [45_000, 5_000, 10_000]);
      assert.deepEqual(s.errors, []);
    });
  } finally {
    host.close();
  }
});

test('?archive=URL on a host without CORS says so, and the page welcomes as without data', { skip: noArchive }, async () => {
  const { host, url: archive } = await archiveHost(ARCHIVE, { cors: false });
  try {
    await visit(false, async (page, url) => {
      await page.goto(`${url}?archive=${encodeURIComponent(archive)}`);
      const s = await waitForState(page, (st) => st.conversion?.status === 'error' && st.data.status === 'absent' && st.data.readyToTrain, { what: 'the refused download' });
      assert.match(s.conversion.error.message, /could not be downloaded/);
      assert.match(s.conversion.error.hint, /CORS/);
      assert.match(await page.locator('#error').innerText(), /could not be downloaded.*CORS/s);
      assert.equal(await page.locator('[data-testid="dataset-welcome"]').isVisible(), true);
    });
  } finally {
    host.close();
  }
});

test('a host without any dataset: a welcome, no error; the preview and a lesson work on the synthetic set', { timeout: 240_000 }, async () => {
  await visit(false, async (page, url) => {
    await page.goto(url);
    const s = await waitForState(page, (st) => st.data.status === 'absent' && st.data.readyToTrain && st.preview.updates > 0, { what: 'the welcome, with the synthetic set in the worker' });
    assert.deepEqual(s.errors, [], 'no error on a first visit without data');
    assert.equal(await page.locator('#error').isVisible(), false);
    const panel = await page.locator('#dataset-status').innerText();
    assert.match(panel, /Welcome! The exercise trains on CIFAR-10/);
    assert.match(panel, /162 MB/);
    assert.match(panel, /\?archive=URL/);
    assert.match(panel, /scripts\/serve/);
    assert.equal(await page.locator('[data-testid="archive-pick"]').evaluate((b) => b.classList.contains('btn-primary')), true, 'picking the archive is the one primary control');
    assert.equal(await page.locator('#btn-train').isDisabled(), true, 'Train waits for CIFAR-10');
    await page.locator('#btn-train').dispatchEvent('click');
    const refused = await waitForState(page, (st) => st.trainRequest?.status === 'refused', { what: 'the reason Train gives' });
    assert.match(refused.trainRequest.text, /no dataset yet: add CIFAR-10 in the Dataset panel/);
    assert.match(await page.locator('[data-testid="controls-status"]').innerText(), /no dataset yet/);
    assert.equal(s.preview.model.depth, 20, 'the preview of the form\'s net');
    // This browser trains on its CPU (its only WebGPU adapter is a software one): a first visit
    // starts with the crate's quick length, the full exercise one choice away, and the lessons too.
    const { quick, full, first_visit_quick: startsQuick } = s.lengths;
    assert.equal(startsQuick, true, JSON.stringify(s.backend));
    assert.deepEqual([quick.epochs < full.epochs, full.epochs, full.max_train_records, full.patience], [true, 100, 0, 20]);
    assert.deepEqual(await Promise.all(['#epochs', '#max-records', '#patience', '#lesson-epochs', '#lesson-records', '#lesson-depth'].map((sel) => page.locator(sel).inputValue())),
      [quick.epochs, quick.max_train_records, quick.patience, quick.epochs, quick.max_train_records, quick.depth].map(String));
    assert.equal(await page.locator('#run-length').inputValue(), 'quick');
    assert.match(await page.locator('#run-length').innerText(), /Full exercise: 100 epochs/);
    assert.ok((await page.locator('#lessons').innerText()).includes(`Suggested here: ${quick.why}.`));
    assert.ok(s.preview.gaussian.act_std.every(Number.isFinite));
    await page.click('.lesson-tab[data-lesson="symmetry"]');
    await fillForm(page, { 'lesson-epochs': 1, 'lesson-records': 0, 'lesson-depth': 3, 'lesson-width': 16 });
    await page.click('#btn-lesson-run');
    const done = await waitForState(page, (st) => !st.lessons.active && st.lessons.findings.symmetry?.finished, { timeout: 180_000, what: 'the Q1 lesson on the synthetic set' });
    assert.ok(done.lessons.findings.symmetry.finding, 'the lesson states its finding');
    assert.ok(done.runs.length > 0 && done.runs.every((r) => r.status === 'finished'));
  });
});

test('a click on Train as early as a person can make starts a run (it waits for the worker and the data)', { timeout: 120_000 }, async () => {
  syntheticDataset('e2e');
  await visit(join(repoRoot, 'data'), async (page, url) => {
    // Click the moment the button is in the page, whether or not it can act yet.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const train = document.getElementById('btn-train');
        if (!train) return;
        observer.disconnect();
        const s = window.selfnorm?.state;
        window.earlyClick = { backend: s?.backend.status ?? 'not started', ready: Boolean(s?.data.readyToTrain) };
        train.click();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${url}?data=e2e`);
    const early = await page.waitForFunction(() => window.earlyClick).then((h) => h.jsonValue());
    console.log(`# clicked with the backend ${early.backend} and the data ${early.ready ? 'ready' : 'not ready'}`);
    assert.equal(early.ready, false, 'the click came before the data was ready');
    const s = await waitForState(page, (st) => st.run?.steps > 0, { timeout: 60_000, what: 'the run the early click asked for' });
    assert.equal(s.runs.length, 1);
    assert.equal(s.run.variant, s.variants[0], 'the form\'s variant, read when the run started');
    await page.click('#btn-stop');
    await waitForState(page, (st) => st.phase === 'idle', { timeout: 60_000, what: 'the stop' });
  });
});

/** A copy of the built site without the asset `file` (a half-finished deploy). */
function siteWithout(file) {
  const dir = mkdtempSync(join(tmpdir(), 'selfnorm-broken-site-'));
  cpSync(join(repoRoot, 'dist'), dir, { recursive: true });
  const [assets] = readdirSync(join(dir, 'assets'));
  rmSync(join(dir, 'assets', assets, file));
  return dir;
}

test('a start that fails is never blank: the page says what failed and what to try', async () => {
  for (const [file, message] of [
    ['app/runs.js', /The page could not start: .*(import|fetch|load).*\n.*(connection|reload)/is],
    ['boot.js', /The page could not start: its start-up script \(boot\.js\) could not be loaded.*\n.*Reload/is],
  ]) {
    const dir = siteWithout(file);
    const { server, url } = await startServer({ site: dir, data: false });
    const browser = await openBrowser();
    try {
      await browser.page.goto(url);
      const failure = browser.page.locator('[data-testid="start-failure"]');
      await failure.waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await failure.innerText(), message, `without ${file}`);
    } finally {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
