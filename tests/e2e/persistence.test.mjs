// Nothing is lost on reload: finished runs and their weights stay listed, the
// dataset comes back from the browser cache (verified again), and a run cut off by the reload is
// marked interrupted with its history kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset, waitForState, waitForReady, fillForm, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });

test('a finished run and the dataset survive a reload', async () => {
  let s = await waitForReady(site.page);
  assert.equal(s.data.fromCache, 0);
  // A model with dropout, so that MC Dropout applies to its weights once they are loaded back.
  await site.page.selectOption('#variant', 'selu-alpha-dropout');
  await fillForm(site.page, { depth: 4, width: 32, epochs: 2, 'probe-every': 4 });
  await site.page.click('#btn-train');
  s = await waitForState(site.page, (st) => st.run?.status === 'finished' && st.run.hasWeights && st.phase === 'idle', { what: 'the run', timeout: 60_000 });
  const run = s.run;

  await site.page.reload();
  s = await waitForReady(site.page);
  assert.equal(s.data.fromCache, s.data.files, 'every file comes from the cache');
  assert.match(await site.page.locator('[data-testid="cache-notice"]').innerText(), /All 6 files came from the browser cache/);
  const kept = s.runs.find((r) => r.id === run.id);
  assert.ok(kept, 'the run is still listed');
  assert.equal(kept.status, 'finished');
  assert.equal(kept.epochs, run.epochs);
  assert.equal(kept.probes, run.probes);
  assert.equal(kept.hasWeights, true);
  assert.equal(s.viewRunId, run.id, 'the latest run is on view after a reload');
  assert.equal(await site.page.locator('#depth').inputValue(), '4', 'the form keeps its settings');
  // Its stored weights load back into the worker.
  await site.page.locator(`#runs-table tr[data-run-id="${run.id}"] [data-action="load"]`).click();
  s = await waitForState(site.page, (st, id) => st.loadedRunId === id && st.phase === 'idle', { arg: run.id, what: 'the weights to load' });
  assert.equal(await site.page.locator('#btn-mc').isEnabled(), true);
});

test('a run cut off by a reload is marked interrupted, its history kept', async () => {
  await fillForm(site.page, { depth: 8, width: 64, epochs: 500, patience: 500, 'probe-every': 4 });
  await site.page.click('#btn-train');
  let s = await waitForState(site.page, (st) => st.run?.status === 'running' && st.epochs >= 2, { what: 'two epochs' });
  const id = s.run.id;
  // Epoch ends are saved at once; let the last write land.
  await site.page.waitForTimeout(300);
  await site.page.reload();
  s = await waitForReady(site.page);
  const run = s.runs.find((r) => r.id === id);
  assert.equal(run.status, 'interrupted');
  assert.ok(run.epochs >= 2, `${run.epochs} epochs kept`);
  assert.ok(run.probes >= 2);
  assert.equal(s.interruptedOnLoad, 1);
  assert.equal(s.runs.length, 2, 'the finished run is still there too');
  assert.match(await site.page.locator(`#runs-table tr[data-run-id="${id}"]`).innerText(), /interrupted/);
  assert.match(await site.page.locator('#results').innerText(), /interrupted/);
  assert.deepEqual(site.browser.problems, []);
});
