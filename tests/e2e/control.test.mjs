// Stopping whatever the worker is doing (an LR sweep, MC Dropout, a lesson) through its one
// request queue, and a GPU device lost mid-run: each ends cleanly, says what happened, keeps the
// history, and the page trains again afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../scripts/static-server.mjs';
import { repoRoot, syntheticDataset, waitForState, waitForReady, fillForm, useSite, openBrowser, ensureOutputDir } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });
const BIG = { depth: 20, width: 100, 'batch-size': 32, 'probe-every': 0 };

async function trainsAfterwards(page) {
  await fillForm(page, { depth: 2, width: 16, epochs: 1, 'batch-size': 32 });
  const before = (await waitForState(page, (st) => st.phase === 'idle')).runs.length;
  await page.click('#btn-train');
  await waitForState(page, (st, n) => st.runs.length === n + 1 && st.run?.status === 'finished' && st.phase === 'idle', { arg: before, what: 'a run afterwards', timeout: 60_000 });
}

test('Stop ends an LR sweep: the rates swept so far are kept and plotted', { timeout: 120_000 }, async () => {
  await waitForReady(site.page);
  await fillForm(site.page, { ...BIG, 'lr-steps': 5000 });
  await site.page.click('#btn-lr-find');
  await waitForState(site.page, (st) => st.phase === 'lr-finding' && st.lrFinderProgress?.steps >= 20, { what: 'the sweep to get going', timeout: 60_000 });
  assert.equal(await site.page.locator('#btn-stop').isEnabled(), true, 'Stop is offered during a sweep');
  await site.page.click('#btn-stop');
  const s = await waitForState(site.page, (st) => st.phase === 'idle' && st.lrFinder, { what: 'the stopped sweep', timeout: 60_000 });
  assert.equal(s.lrFinder.stopped, true);
  assert.ok(s.lrFinder.points >= 20 && s.lrFinder.points < 5000, `${s.lrFinder.points} rates swept`);
  assert.deepEqual(s.errors.filter((e) => e.kind === 'error'), []);
  await site.page.locator('#lr-finder canvas').first().waitFor();
  await trainsAfterwards(site.page);
});

test('Stop ends MC Dropout after the current sample count', { timeout: 180_000 }, async () => {
  await site.page.selectOption('#variant', 'selu-alpha-dropout');
  await fillForm(site.page, { ...BIG, epochs: 1 });
  await site.page.click('#btn-train');
  await waitForState(site.page, (st) => st.run?.variant === 'selu-alpha-dropout' && st.run.status === 'finished' && st.run.hasWeights && st.phase === 'idle', { what: 'the alpha-dropout run', timeout: 90_000 });
  const counts = Array(30).fill(50);
  await site.page.fill('#mc-samples', counts.join(', '));
  await site.page.click('#btn-mc');
  await waitForState(site.page, (st) => st.phase === 'mc', { what: 'MC Dropout to start' });
  await site.page.waitForTimeout(1500);
  await site.page.click('#btn-stop');
  const s = await waitForState(site.page, (st) => st.phase === 'idle' && st.mc, { what: 'the stopped MC Dropout', timeout: 60_000 });
  assert.equal(s.mc.stopped, true);
  assert.ok(s.mc.mc.length >= 1 && s.mc.mc.length < counts.length, `${s.mc.mc.length} counts done`);
  for (const e of s.mc.mc) assert.equal(e.passes, 50);
  assert.deepEqual(s.errors.filter((e) => e.kind === 'error'), [], 'no "busy" or other error');
  await trainsAfterwards(site.page);
});

test('Stop ends a lesson during its run: the runs so far stay, no finding is made', { timeout: 180_000 }, async () => {
  const before = (await waitForState(site.page, (st) => st.phase === 'idle')).runs.length;
  await site.page.locator('[data-lesson="activations"]').click();
  // Long enough that the Stop lands in the middle of the first run.
  await site.page.fill('#lesson-epochs', '50');
  await site.page.click('#btn-lesson-run');
  await waitForState(site.page, (st) => st.lessons.active && st.run?.status === 'running' && st.run.steps >= 2, { what: 'the lesson\'s first run', timeout: 90_000 });
  await site.page.click('#btn-lesson-stop');
  const s = await waitForState(site.page, (st) => !st.lessons.active && st.phase === 'idle', { what: 'the stopped lesson', timeout: 90_000 });
  assert.equal(s.lessons.failure?.stopped, true);
  assert.equal(s.lessons.findings.activations, undefined, 'a stopped lesson makes no finding');
  const lessonRuns = s.runs.slice(before);
  assert.ok(lessonRuns.length >= 1);
  assert.equal(lessonRuns.at(-1).stop?.kind, 'stopped');
  assert.ok(lessonRuns.at(-1).steps >= 2, 'its history is kept');
  assert.deepEqual(s.errors.filter((e) => e.kind === 'error'), []);
  await trainsAfterwards(site.page);
});

// Prepended to the built site's worker.js: keeps the WebGPU device the wasm module asks for and destroys it right
// after the first time the worker sends a run's best weights, i.e. mid-run, after epoch 1.
const LOSE_DEVICE = `
let kept = null;
const requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (...args) {
  kept = await requestDevice.apply(this, args);
  return kept;
};
const postMessage = self.postMessage.bind(self);
self.postMessage = (message, transfer) => {
  postMessage(message, transfer);
  if (message?.event?.kind === 'best-weights' && kept) {
    kept.destroy();
    kept = null;
  }
};
`;

/** A copy of dist/ whose worker.js starts with LOSE_DEVICE, and data/; returns its folder. */
function siteLosingTheDevice() {
  const root = mkdtempSync(join(tmpdir(), 'selfnorm-lose-device-'));
  cpSync(join(repoRoot, 'dist'), join(root, 'dist'), { recursive: true });
  symlinkSync(join(repoRoot, 'data'), join(root, 'data'));
  const assets = join(root, 'dist', 'assets');
  for (const version of readdirSync(assets)) {
    const worker = join(assets, version, 'worker.js');
    writeFileSync(worker, LOSE_DEVICE + readFileSync(worker, 'utf8'));
  }
  return root;
}

test('a GPU device lost mid-run: the run keeps its history and best weights, and goes on on the CPU', { timeout: 300_000 }, async (t) => {
  const root = siteLosingTheDevice();
  const server = await serve(root, 0, '127.0.0.1', { headers: false });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await openBrowser();
  t.after(async () => {
    await browser.close();
    server.close();
    rmSync(root, { recursive: true, force: true });
  });
  const page = browser.page;
  syntheticDataset('e2e-tiny', { train: 100, valid: 50, test: 50, shardRecords: 50 });
  await page.goto(`${url}?data=e2e-tiny&backend=webgpu`);
  let s = await waitForReady(page, 90_000);
  assert.equal(s.backend.active, 'webgpu');
  await fillForm(page, { depth: 2, width: 16, epochs: 4, 'probe-every': 0, 'batch-size': 32, patience: 4 });
  await page.click('#btn-train');
  // Once, in a full suite run, this click started no run (the page idle, no error); it never did
  // alone. Keep the evidence and click again rather than fail a test about the device.
  try {
    await waitForState(page, (st) => st.runs.length === 1, { what: 'the run to start', timeout: 30_000 });
  } catch (error) {
    await page.screenshot({ path: join(ensureOutputDir(), 'lost-device-no-run.png'), fullPage: true });
    console.log(`# the first Train click started no run; clicking again (${error.message.split('\n')[0]})`);
    await page.click('#btn-train');
  }
  s = await waitForState(page, (st) => st.errors.some((e) => /GPU was reset or lost/.test(e.message)), { what: 'the lost device', timeout: 240_000 });
  // The page stores the best weights it was sent after it shows the error (an IndexedDB write).
  s = await waitForState(page, (st) => st.runs.at(-1)?.status !== 'running' && st.runs.at(-1)?.hasWeights, { what: 'the best weights so far to be kept', timeout: 10_000 })
    .catch(() => s);
  const lost = s.runs.at(-1);
  assert.equal(lost.status, 'interrupted');
  assert.ok(lost.epochs >= 1, 'the epochs before the loss are kept');
  assert.equal(lost.hasWeights, true, 'the best weights so far are kept');
  assert.match(await page.locator('#error').innerText(), /continue it on the CPU backend/);
  await page.locator('[data-testid="continue-cpu"]').click();
  s = await waitForState(page, (st) => st.backend.active === 'cpu' && st.runs.some((r) => r.name.endsWith('(continued)') && r.status === 'finished') && st.phase === 'idle', { what: 'the run continued on the CPU', timeout: 120_000 });
  assert.equal(s.runs.find((r) => r.id === lost.id).status, 'interrupted', 'the lost run stays as it was');
  // The kept weights are the best epoch's: evaluated again here, they give that epoch's loss.
  await page.locator(`#runs-table tr[data-run-id="${lost.id}"] [data-action="load"]`).click();
  s = await waitForState(page, (st, id) => st.loadedRunId === id && st.phase === 'idle', { arg: lost.id, what: 'the kept weights to load' });
  const kept = s.runs.find((r) => r.id === lost.id);
  // WebGPU then, the CPU backend now: the same weights and records, summed in another order.
  assert.ok(Math.abs(kept.validHereLoss - kept.bestValLoss) < 1e-3 * kept.bestValLoss, `${kept.validHereLoss} vs ${kept.bestValLoss}`);
});
