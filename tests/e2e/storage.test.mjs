// Storage over the long run: a database written by the previous version of the page (whole run
// records) is migrated with every run kept, and a full disk (the browser's quota, lowered through
// the DevTools protocol so that IndexedDB refuses writes with QuotaExceededError) stops nothing:
// the page says what to delete, the live run trains on with its history in memory, and once
// there is room again everything is saved and survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset, waitForState, waitForReady, fillForm, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e') });

/** Two runs as version 2 of the store kept them: one record each, history included. */
function version2Runs() {
  const layers = 3;
  const stats = (k) => Object.fromEntries(['pre_mean', 'pre_std', 'act_mean', 'act_std', 'saturated', 'dead', 'grad_norm', 'unit_spread']
    .map((f, i) => [f, Array.from({ length: layers }, (_, l) => k + i + l / 10)]));
  const run = (id, name, status, epochs) => ({
    id, name, variant: 'elu-he', modified: [], dataset: 'e2e', backend: 'cpu', status, created: 1_700_000_000_000 + epochs, updated: 1_700_000_000_000,
    config: { model: { input_dim: 3072, classes: 10, depth: layers, width: 16, activation: 'elu', kernel_init: { kind: 'he-normal' }, output_init: { kind: 'glorot-uniform' }, bias_init: 0, batch_norm: false, input_batch_norm: false, dropout: null },
      train: { lr: 5e-5, schedule: { kind: 'constant' }, optimizer: { kind: 'nadam' }, batch_size: 32, max_epochs: 50, patience: 20, seed: 0, l1: 0, readback_every: 5, probe_every: 5, probe_size: 256, max_train_records: 0 } },
    info: { parameters: 50_000, steps_per_epoch: 19 },
    history: {
      epochs: Array.from({ length: epochs }, (_, e) => ({ epoch: e + 1, train_loss: 2 - e / 10, train_accuracy: 0.1 + e / 100, val_loss: 2.1 - e / 10, val_accuracy: 0.1 + e / 100, lr: 5e-5, samples: 600, train_seconds: 1, seconds: 1.2, samples_per_s: 600 })),
      steps: Array.from({ length: epochs * 4 }, (_, s) => ({ step: 5 * (s + 1), epoch: Math.floor(s / 4) + 1, loss: 2.3 - s / 100 })),
      probes: Array.from({ length: epochs * 4 }, (_, s) => ({ step: 5 * (s + 1), epoch: s / 4, stats: stats(s) })),
      best_epoch: epochs, stop: status === 'finished' ? { kind: 'max-epochs' } : null,
    },
    summary: { best_epoch: epochs, best_val_loss: 1.5, patience_left: 20, finished: status === 'finished' },
    progress: null, lrFinder: null, results: { valid: null, test: null, mc: null }, timings: { started: 1, finished: null, finishSeconds: null },
    error: null, imported: false, hasWeights: status === 'finished',
  });
  return [run('run-v2-finished', 'old finished', 'finished', 7), run('run-v2-cut', 'old cut off', 'running', 3)];
}

test('a database of the previous version is migrated with every run and its history', async () => {
  // A page of the same origin that is not the app, so that the old database is made first.
  await site.page.goto(`${site.url}not-the-app`);
  const runs = version2Runs();
  await site.page.evaluate((records) => new Promise((resolve, reject) => {
    const request = indexedDB.open('selfnorm', 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('runs', { keyPath: 'id' });
      db.createObjectStore('weights', { keyPath: 'runId' });
      db.createObjectStore('lessons', { keyPath: 'name' });
    };
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction(['runs', 'weights'], 'readwrite');
      for (const run of records) tx.objectStore('runs').put(run);
      tx.objectStore('weights').put({ runId: records[0].id, bytes: new Uint8Array(4096).buffer });
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  }), runs);

  await site.page.goto(`${site.url}?data=e2e`);
  let s = await waitForReady(site.page);
  assert.deepEqual(s.runs.map((r) => r.id), ['run-v2-cut', 'run-v2-finished'], 'both runs, oldest first');
  const cut = s.runs.find((r) => r.id === 'run-v2-cut');
  const finished = s.runs.find((r) => r.id === 'run-v2-finished');
  assert.equal(cut.status, 'interrupted', 'a run the old page was training is marked interrupted');
  assert.equal(finished.status, 'finished');
  assert.equal(finished.epochs, 7);
  assert.equal(finished.hasWeights, true);
  assert.equal(cut.hasWeights, false);
  // The shown (latest) run's steps and probes are read at start; the other's when it is viewed.
  assert.equal(s.run.id, 'run-v2-finished');
  assert.equal(s.run.steps, 28);
  assert.equal(s.run.probes, 28);
  await site.page.locator('#runs-table tr[data-run-id="run-v2-cut"]').click();
  s = await waitForState(site.page, (st) => st.run?.id === 'run-v2-cut' && st.run.probes === 12, { what: 'the other run\'s history' });
  assert.equal(s.run.steps, 12);
  assert.equal(s.run.epochs, 3);
  assert.equal(s.run.bestEpoch, 3);
  // The storage panel counts both runs and the old weights (4 KiB).
  await site.page.locator('#storage [data-testid="storage-summary"]', { hasText: /^2 stored runs: histories .*, best weights of 1 run: 4\.0\sKiB\./ }).waitFor({ timeout: 5000 });
});

test('a full disk: the live run trains on, the page says what to free, and all is saved once there is room', async () => {
  const { page } = site;
  await waitForReady(page);
  const origin = new URL(site.url).origin;
  const cdp = await page.context().newCDPSession(page);
  // Chromium applies a quota to a database when it opens its files: lower it, leave the app
  // until the browser has closed them (it keeps them open a few seconds), then come back.
  const { usage } = await cdp.send('Storage.getUsageAndQuota', { origin });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 40_000 });
  await page.goto(`${site.url}not-the-app`);
  await page.waitForTimeout(5000);
  await page.goto(`${site.url}?data=e2e`);
  await waitForReady(page);
  await fillForm(page, { depth: 8, width: 32, epochs: 14, patience: 50, 'probe-every': 1 });
  await page.click('#btn-train');
  let s = await waitForState(page, (st) => st.errors.some((e) => /storage for this page is full/.test(e.message)), { what: 'the storage-full notice', timeout: 120_000 });
  const notice = s.errors.find((e) => /storage for this page is full/.test(e.message));
  assert.equal(notice.kind, 'notice');
  assert.match(notice.message, new RegExp(`the latest history of ${s.run.name.replace(/[*#]/g, '\\$&')} could not be saved: it is kept in memory while the run goes on training`));
  assert.match(notice.message, /Free space under Storage: drop the weights of lesson runs, or delete old runs/);
  const id = s.run.id;
  const epochsWhenFull = s.epochs;
  s = await waitForState(page, (st, n) => st.epochs >= n + 2, { arg: epochsWhenFull, what: 'two more epochs while storage is full', timeout: 120_000 });
  assert.equal(s.run.status, 'running', 'the run goes on');
  assert.equal(s.run.id, id);

  // Room again (the user freed space; here, the quota is given back).
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  s = await waitForState(page, (st) => st.errors.some((e) => /has room again: every run is saved/.test(e.message)), { what: 'the room-again notice', timeout: 60_000 });
  s = await waitForState(page, (st, runId) => st.runs.find((r) => r.id === runId)?.status === 'finished' && st.phase === 'idle' && st.run?.hasWeights,
    { arg: id, what: 'the run to finish', timeout: 180_000 });
  const live = s.run;
  assert.equal(live.epochs, 14);

  await page.reload();
  s = await waitForReady(page);
  const kept = s.runs.find((r) => r.id === id);
  assert.equal(kept.status, 'finished');
  assert.equal(kept.hasWeights, true);
  assert.equal(kept.epochs, live.epochs);
  assert.equal(s.run.id, id, 'the latest run is on view, its history read back');
  assert.equal(s.run.steps, live.steps);
  assert.equal(s.run.probes, live.probes);
  assert.deepEqual(site.browser.problems.filter((p) => !/404 \(Not Found\)/.test(p)), []);
});
