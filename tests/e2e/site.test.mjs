// The static site (dist/, from scripts/build-site) on a plain static server that sends no
// COOP/COEP headers: the service worker makes the page cross-origin isolated and keeps it for
// offline use; the dataset is made in the page from the official files, byte-identical to
// `selfnorm prepare-data`'s; a wrong file gets a message naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot, outputDir, cli, syntheticDataset, waitForState, waitForReady, fillForm, state, startServer, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e') });

const ARCHIVE = process.env.SELFNORM_CIFAR10_ARCHIVE || resolve(repoRoot, '../shared/data/cifar-10-binary.tar.gz');
const CLI_MANIFEST = join(repoRoot, 'data/cifar10/manifest.json');
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** Gives `paths` to the page as a drop on the dataset panel (through a file input of the test's own). */
async function drop(page, paths) {
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'test-drop', multiple: true, hidden: true });
    document.body.append(input);
  });
  await page.setInputFiles('#test-drop', paths);
  await page.evaluate(() => {
    const input = document.getElementById('test-drop');
    const transfer = new DataTransfer();
    for (const file of input.files) transfer.items.add(file);
    input.remove();
    document.getElementById('dataset-status').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
}

/** Gives `paths` to the page through the panel's file picker. */
const pick = (page, paths) => page.setInputFiles('[data-testid="archive-input"]', paths);

/** The state once the conversion started after `before` (a state snapshot) has ended. */
const converted = (page, before, timeout = 60_000) => waitForState(page, (s, after) => s.conversion?.startedAt > after && ['done', 'error'].includes(s.conversion.status), {
  arg: before.conversion?.startedAt ?? 0, timeout, what: 'the conversion',
});

/** The manifest the page stored for dataset `name` (in the data loader's cache). */
const storedManifest = (page, name) => page.evaluate(async (n) => {
  const cache = await caches.open('selfnorm-data-v1');
  const hit = await cache.match(new URL(`data/${n}/manifest.json`, document.baseURI).href);
  return hit ? JSON.parse(await hit.text()) : null;
}, name);

/** Every file's name and sha256 in a manifest, stats included. */
const digests = (m) => [m.standardization, ...['train', 'valid', 'test'].flatMap((s) => m[s].shards)].map((f) => `${f.file} ${f.bytes} ${f.sha256}`);

test('dist/ on a server without COOP/COEP headers: isolated through the service worker, and it trains', async () => {
  const response = await fetch(site.url);
  assert.equal(response.headers.get('cross-origin-embedder-policy'), null, 'the server itself sends no isolation headers');
  await site.page.goto(`${site.url}?data=e2e`);
  await waitForReady(site.page);
  assert.deepEqual(await site.page.evaluate(() => [self.crossOriginIsolated, Boolean(navigator.serviceWorker.controller)]), [true, true]);
  assert.equal(await site.page.locator('#site-notice').isVisible(), false, 'nothing lost, so no notice');
  await fillForm(site.page, { depth: 2, width: 16, epochs: 1, 'probe-every': 5 });
  await site.page.click('#btn-train');
  await waitForState(site.page, (s) => s.run?.status === 'finished' && s.phase === 'idle', { what: 'a run', timeout: 60_000 });
});

test('a host that reads dist/_headers: isolated from the first load, no reload, assets cached for good', async () => {
  const { server, url } = await startServer({ headers: true });
  const page = await site.browser.context.newPage();
  try {
    const html = await (await fetch(url)).text();
    const boot = /src="(assets\/[0-9a-f]{12}\/boot\.js)"/.exec(html)?.[1];
    assert.ok(boot, 'index.html loads boot.js from the build\'s assets folder');
    assert.match((await fetch(`${url}${boot}`)).headers.get('cache-control'), /immutable/);
    // Document loads, not navigations: the settings in the address's hash change it in place.
    let navigations = 0;
    page.on('load', () => {
      navigations += 1;
    });
    await page.goto(`${url}?data=e2e`);
    await waitForState(page, (s) => s.data.status === 'complete', { what: 'the dataset' });
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.equal(navigations, 1, 'no reload through the service worker');
  } finally {
    await page.close();
    server.close();
  }
});

test('?shards=URL loads a dataset from another host that allows CORS', async () => {
  // Another origin serving the prepared folders (what a teacher would host once for a class).
  const dataDir = join(repoRoot, 'data');
  const host = createServer((req, res) => {
    const file = join(dataDir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(dataDir) || !existsSync(file)) {
      res.writeHead(404, { 'Access-Control-Allow-Origin': '*' }).end();
      return;
    }
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((done) => host.listen(0, '127.0.0.1', done));
  try {
    const shards = `http://127.0.0.1:${host.address().port}/e2e/`;
    await site.page.goto(`${site.url}?shards=${encodeURIComponent(shards)}`);
    const s = await waitForReady(site.page);
    assert.equal(s.data.name, shards);
    assert.equal(s.data.verified, s.data.files);
    assert.equal(s.data.fromCache, 0, 'downloaded from the other host');
    assert.deepEqual(s.data.expected, [600, 200, 200]);
  } finally {
    host.close();
  }
});

test('a wrong file gets a message naming it, and the page keeps working', async () => {
  const dir = join(outputDir, 'site-wrong-files');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'not-cifar'), { recursive: true });
  writeFileSync(join(dir, 'notes.tar.gz'), 'not a gzip file at all\n');
  writeFileSync(join(dir, 'not-cifar/readme.txt'), 'hello\n');
  execFileSync('tar', ['czf', join(dir, 'other.tar.gz'), '-C', join(dir, 'not-cifar'), 'readme.txt']);
  const cases = [
    ['notes.tar.gz', /notes\.tar\.gz is not a gzip file/],
    ['other.tar.gz', /other\.tar\.gz: not the CIFAR-10 binary archive: it has no cifar-10-batches-bin\/ .*its entries: readme\.txt/],
  ];
  if (existsSync(ARCHIVE)) {
    // The first 2 MB of the real archive: a download cut short.
    writeFileSync(join(dir, 'cut.tar.gz'), readFileSync(ARCHIVE).subarray(0, 2 ** 21));
    cases.push(['cut.tar.gz', /cut\.tar\.gz(: cut short| could not be decompressed).*(damaged or cut short|ends inside)/]);
  }
  for (const [file, message] of cases) {
    const before = await state(site.page);
    await pick(site.page, join(dir, file));
    const s = await converted(site.page, before);
    assert.equal(s.conversion.status, 'error', file);
    assert.match(s.conversion.error.message, message);
    assert.equal(s.conversion.error.file, file);
    assert.match(await site.page.locator('[data-testid="archive-status"]').innerText(), message);
    assert.equal(s.data.status, 'complete', 'the dataset in use stays');
  }
  assert.equal(await site.page.locator('#btn-train').isEnabled(), true);
});

test('the official CIFAR-10 archive dropped on the page gives the CLI\'s shards, and training starts', {
  skip: !existsSync(ARCHIVE) ? `no archive at ${ARCHIVE}` : !existsSync(CLI_MANIFEST) && 'no data/cifar10 from scripts/prepare-data to compare with',
}, async () => {
  const cliManifest = JSON.parse(readFileSync(CLI_MANIFEST, 'utf8'));
  const archiveSha = createHash('sha256').update(readFileSync(ARCHIVE)).digest('hex');
  assert.ok(cliManifest.source.includes(archiveSha), `data/cifar10 was prepared from this archive (${cliManifest.source})`);
  // A host with the site only: the dataset can come from nowhere but the page.
  const { server, url } = await startServer({ data: false });
  const page = await site.browser.context.newPage();
  try {
    await page.goto(url);
    await waitForState(page, (s) => s.data.status === 'absent' && s.backend.status === 'ready', { what: 'no dataset on the host', timeout: 60_000 });
    assert.match(await page.locator('#dataset-status').innerText(), /Use the CIFAR-10 archive on this computer/);
    const start = Date.now();
    const before = await state(page);
    await drop(page, [ARCHIVE]);
    const s = await converted(page, before, 240_000);
    assert.equal(s.conversion.status, 'done', JSON.stringify(s.conversion.error));
    console.log(`# the archive converted in the page in ${s.conversion.seconds.toFixed(1)} s (${((Date.now() - start) / 1000).toFixed(1)} s from the drop)`);
    assert.deepEqual(digests(await storedManifest(page, 'cifar10')), digests(cliManifest));
    const official = createHash('md5').update(readFileSync(ARCHIVE)).digest('hex') === 'c32a1d4ab5d03f1284b67883e8d87530';
    assert.equal(/not the official archive's/.test(s.conversion.notices.join(' ')), !official, 'a notice exactly when the MD5 is not the official one');
    const ready = await waitForReady(page, 120_000);
    assert.equal(ready.data.fromCache, ready.data.files, 'the loader reads what the page stored');
    assert.deepEqual(ready.data.expected, [45_000, 5_000, 10_000]);
    await fillForm(page, { depth: 2, width: 16, epochs: 1, 'probe-every': 5 });
    await page.click('#btn-train');
    await waitForState(page, (st) => st.run?.steps > 0, { what: 'training steps on the converted dataset', timeout: 120_000 });
    await page.click('#btn-stop');
    await waitForState(page, (st) => st.phase === 'idle', { what: 'the stop', timeout: 120_000 });
  } finally {
    await page.close();
    server.close();
  }
});

test('Fashion-MNIST\'s four files give the CLI\'s shards', { skip: !existsSync(FASHION_DIR) && `no Fashion-MNIST files in ${FASHION_DIR}` }, async () => {
  const out = join(repoRoot, 'data/e2e-fashion-cli');
  rmSync(out, { recursive: true, force: true });
  execFileSync(cli(), ['prepare-data', '--fashion-mnist', FASHION_DIR, '--out', out], { stdio: 'pipe' });
  const cliManifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const before = await state(site.page);
  await pick(site.page, FASHION_FILES.map((f) => join(FASHION_DIR, f)));
  const s = await converted(site.page, before);
  assert.equal(s.conversion.status, 'done', JSON.stringify(s.conversion.error));
  assert.deepEqual(digests(await storedManifest(site.page, 'fashion-mnist')), digests(cliManifest));
  const ready = await waitForReady(site.page);
  assert.equal(ready.data.name, 'fashion-mnist');
  assert.deepEqual(ready.data.expected, [55_000, 5_000, 10_000]);
});

// Last: it stops the server.
test('offline after the first visit: with the server gone, a reload still trains', async () => {
  await site.page.goto(`${site.url}?data=e2e`);
  await waitForReady(site.page);
  site.server.closeAllConnections();
  await new Promise((done) => site.server.close(done));
  await site.browser.context.setOffline(true);
  try {
    await site.page.reload();
    const s = await waitForReady(site.page);
    assert.equal(s.data.fromCache, s.data.files, 'every dataset file from the browser cache');
    assert.match(await site.page.locator('[data-testid="dataset-status"]').innerText(), /copy of this dataset kept in the browser is used/);
    await fillForm(site.page, { depth: 2, width: 16, epochs: 1, 'probe-every': 5 });
    await site.page.click('#btn-train');
    await waitForState(site.page, (st) => st.run?.status === 'finished' && st.phase === 'idle', { what: 'a run offline', timeout: 60_000 });
  } finally {
    await site.browser.context.setOffline(false);
  }
});
