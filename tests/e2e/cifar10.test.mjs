// The real dataset, when scripts/prepare-data has made it: all 13 files stream in and verify, and
// the exercise's self-normalizing net trains on a slice of each epoch. Also takes the README's
// picture (tests/output/mid-training.png). Skipped without data/cifar10/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, waitForState, waitForReady, fillForm, ensureOutputDir, useSite } from './helpers.mjs';

const prepared = existsSync(join(repoRoot, 'data/cifar10/manifest.json'));
const site = useSite({ skip: !prepared });

test('CIFAR-10: the prepared dataset loads and SELU trains through 20 layers', { skip: !prepared && 'no data/cifar10 (run scripts/prepare-data)', timeout: 240_000 }, async () => {
  const started = Date.now();
  await site.page.goto(site.url);
  await waitForState(site.page, (st) => st.data.readyToTrain, { what: 'stats, valid and the first train shard', timeout: 120_000 });
  let s = await waitForReady(site.page, 120_000);
  const loadSeconds = (Date.now() - started) / 1000;
  assert.equal(s.data.name, 'cifar10');
  assert.deepEqual(s.data.expected, [45000, 5000, 10000]);
  assert.deepEqual(s.data.loaded, s.data.expected);
  assert.equal(s.data.verified, s.data.files);
  await site.page.selectOption('#variant', 'selu-lecun');
  await fillForm(site.page, { epochs: 40, patience: 40, 'max-records': 5000, 'probe-every': 16, 'lr-steps': 200 });
  await site.page.click('#btn-lr-find');
  s = await waitForState(site.page, (st) => st.lrFinder && st.phase === 'idle', { what: 'the LR finder', timeout: 120_000 });
  assert.ok(s.lrFinder.suggested_lr > 1e-5 && s.lrFinder.suggested_lr < 1e-1, `suggested ${s.lrFinder.suggested_lr}`);
  await site.page.click('#btn-train');
  s = await waitForState(site.page, (st) => st.run?.status === 'running' && st.epochs >= 3, { what: 'three epochs', timeout: 180_000 });
  const diagnosis = `${await site.page.locator('[data-testid="diagnosis"]').innerText()} ${await site.page.locator('[data-testid="diagnosis-figures"]').textContent()}`;
  await site.page.evaluate(() => window.scrollTo(0, 0));
  await site.page.screenshot({ path: join(ensureOutputDir(), 'mid-training.png'), fullPage: true });
  await site.page.click('#btn-stop');
  s = await waitForState(site.page, (st) => st.run.status === 'finished' && st.run.hasWeights && st.phase === 'idle', { what: 'the stop', timeout: 120_000 });
  assert.ok(s.run.valAccuracy > 0.2, `validation accuracy ${s.run.valAccuracy} is above chance`);
  assert.ok(s.run.testAccuracy > 0.2);
  await site.page.screenshot({ path: join(ensureOutputDir(), 'after-training-cifar10.png'), fullPage: true });
  console.log(`# CIFAR-10 loaded in ${loadSeconds.toFixed(1)} s; ${diagnosis}`);
});
