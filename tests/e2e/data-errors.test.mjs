// Dataset problems are shown in the page, name the file, say what to do, and never wipe the runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticDataset, damagedCopy, flipByte, waitForState, waitForReady, fillForm, useSite } from './helpers.mjs';

const site = useSite({
  prepare: () => {
    syntheticDataset('e2e');
    damagedCopy('e2e', 'e2e-corrupt', (dir) => flipByte(dir, 'train-001.bin'));
    damagedCopy('e2e', 'e2e-short', (dir) => truncateSync(join(dir, 'test-000.bin'), 1000));
    damagedCopy('e2e', 'e2e-badmanifest', (dir, manifest) => {
      delete manifest.train.shards;
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    });
  },
});

const dataError = (page) => waitForState(page, (st) => st.data.status === 'error' && st.errors.length > 0, { what: 'the dataset error' });

test('a corrupted shard is named in the page, and the runs stay', async () => {
  await site.page.goto(`${site.url}?data=e2e`);
  await waitForReady(site.page);
  await fillForm(site.page, { depth: 2, width: 16, epochs: 1, 'probe-every': 5 });
  await site.page.click('#btn-train');
  const trained = await waitForState(site.page, (st) => st.run?.status === 'finished' && st.phase === 'idle', { what: 'a run', timeout: 60_000 });

  await site.page.goto(`${site.url}?data=e2e-corrupt`);
  const s = await dataError(site.page);
  assert.equal(s.data.error.file, 'train-001.bin');
  assert.match(s.data.error.message, /train-001\.bin failed its SHA-256 check/);
  const errorArea = site.page.locator('#error');
  assert.equal(await errorArea.isVisible(), true);
  assert.match(await errorArea.innerText(), /train-001\.bin/);
  assert.match(await errorArea.innerText(), /scripts\/prepare-data/);
  assert.equal(await site.page.locator('#dataset-status .shard[data-file="train-001.bin"]').getAttribute('data-status'), 'failed');
  assert.equal(await site.page.locator('#btn-train').isDisabled(), true, 'no training on a damaged dataset');
  assert.ok(s.runs.some((r) => r.id === trained.run.id), 'the run history is untouched');
  assert.equal(await site.page.locator(`#runs-table tr[data-run-id="${trained.run.id}"]`).count(), 1);
});

test('a shard of the wrong size is named with both sizes', async () => {
  await site.page.goto(`${site.url}?data=e2e-short`);
  const s = await dataError(site.page);
  assert.equal(s.data.error.file, 'test-000.bin');
  assert.match(s.data.error.message, /test-000\.bin has 1000 bytes, but the manifest lists 614600/);
});

test('a missing dataset says to run scripts/prepare-data', async () => {
  await site.page.goto(`${site.url}?data=missing`);
  const s = await dataError(site.page);
  assert.match(s.data.error.message, /No prepared dataset "missing".*HTTP 404/);
  const text = await site.page.locator('#error').innerText();
  assert.match(text, /Run scripts\/prepare-data/);
  assert.match(await site.page.locator('#dataset-status').innerText(), /scripts\/prepare-data/);
  assert.equal(await site.page.locator('#btn-train').isDisabled(), true);
  await waitForState(site.page, (st) => st.backend.status === 'ready', { what: 'the backend, which starts all the same' });
});

test('a malformed manifest is reported as such', async () => {
  await site.page.goto(`${site.url}?data=e2e-badmanifest`);
  const s = await dataError(site.page);
  assert.match(s.data.error.message, /manifest\.json is malformed: split "train" lists no shards/);
  assert.deepEqual(site.browser.problems.filter((p) => !/404|Failed to load resource/.test(p)), []);
});
