// WebGPU forced (here SwiftShader, a software adapter: slow, ~10 s of shader compilation on the
// first step), on a tiny model and dataset; then the backend switch back to CPU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset, startServer, openBrowser, waitForState, waitForReady, fillForm } from './helpers.mjs';

let server;
let url;
let browser;
let page;

before(async () => {
  syntheticDataset('e2e-tiny', { train: 100, valid: 50, test: 50, shardRecords: 50 });
  ({ server, url } = await startServer());
  browser = await openBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('WebGPU, when forced, trains a tiny model', { timeout: 240_000 }, async () => {
  await page.goto(`${url}?data=e2e-tiny&backend=webgpu`);
  let s = await waitForReady(page, 90_000);
  assert.equal(s.backend.requested, 'webgpu');
  assert.equal(s.backend.active, 'webgpu');
  assert.equal(await page.locator('#backend').inputValue(), 'webgpu');
  const banner = await page.locator('#backend-banner').innerText();
  assert.match(banner, /WebGPU/);
  if (s.backend.adapter?.software) assert.match(banner, /software/i);
  await fillForm(page, { depth: 2, width: 16, epochs: 1, 'probe-every': 2, 'batch-size': 32 });
  await page.click('#btn-train');
  s = await waitForState(page, (st) => st.run?.status === 'finished' && st.phase === 'idle', { what: 'the WebGPU run', timeout: 200_000 });
  assert.equal(s.run.epochs, 1);
  assert.ok(s.run.probes >= 2);
  assert.ok(s.run.valAccuracy >= 0);
  assert.equal(s.runs.at(-1).status, 'finished');
});

test('the backend switch restarts the worker on CPU and keeps the runs', { timeout: 60_000 }, async () => {
  const runs = (await waitForState(page, (st) => st.phase === 'idle')).runs.length;
  await page.selectOption('#backend', 'cpu');
  const s = await waitForReady(page);
  assert.equal(s.backend.active, 'cpu');
  assert.equal(s.data.fromCache, s.data.files, 'the dataset is fed again from the cache');
  assert.equal(s.runs.length, runs);
  assert.match(page.url(), /backend=cpu/);
  assert.deepEqual(browser.problems, []);
});
