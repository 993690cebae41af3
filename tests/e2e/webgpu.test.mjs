// WebGPU forced (here SwiftShader, a software adapter: slow, ~10 s of shader compilation on the
// first step), on a tiny model and dataset; then the backend switch back to CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDataset, waitForState, waitForReady, fillForm, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e-tiny', { train: 100, valid: 50, test: 50, shardRecords: 50 }) });

test('WebGPU, when forced, trains a tiny model', { timeout: 240_000 }, async () => {
  await site.page.goto(`${site.url}?data=e2e-tiny&backend=webgpu`);
  let s = await waitForReady(site.page, 90_000);
  assert.equal(s.backend.requested, 'webgpu');
  assert.equal(s.backend.active, 'webgpu');
  assert.equal(await site.page.locator('#backend').inputValue(), 'webgpu');
  const banner = await site.page.locator('#backend-banner').innerText();
  assert.match(banner, /WebGPU/);
  if (s.backend.adapter?.software) assert.match(banner, /software/i);
  // SELU on standardized inputs learns this synthetic set in two epochs (the CLI reaches 100 %).
  await site.page.selectOption('#variant', 'selu-lecun');
  await fillForm(site.page, { depth: 2, width: 16, epochs: 2, lr: '3e-3', 'probe-every': 2, 'batch-size': 32 });
  await site.page.click('#btn-train');
  s = await waitForState(site.page, (st) => st.run?.status === 'finished' && st.phase === 'idle', { what: 'the WebGPU run', timeout: 200_000 });
  assert.equal(s.run.epochs, 2);
  assert.ok(s.run.probes >= 2);
  assert.ok(s.run.valAccuracy > 0.5, `validation accuracy ${s.run.valAccuracy}, chance is 0.1`);
  // It trained on the fused step: a forward and a backward per layer, the loss and the update.
  assert.match(await site.page.locator('[data-testid="progress-run"]').innerText(), /fused WebGPU step \(7 dispatches per step\)/);
  assert.equal(s.runs.at(-1).status, 'finished');
});

test('on WebGPU, dropout, MC Dropout and the Q6 (L1) and Q7 (dropout\'s cost) lessons take the fused step', { timeout: 480_000 }, async () => {
  await site.page.selectOption('#variant', 'selu-alpha-dropout');
  await fillForm(site.page, { depth: 2, width: 16, epochs: 1, 'probe-every': 2, 'batch-size': 32 });
  await site.page.click('#btn-train');
  let s = await waitForState(site.page, (st) => st.run?.variant === 'selu-alpha-dropout' && st.run.status === 'finished' && st.run.hasWeights && st.phase === 'idle', { what: 'the alpha-dropout run', timeout: 200_000 });
  assert.deepEqual(s.run.step, { kind: 'fused', dispatches: 7 }, 'alpha dropout inside the fused kernels: no extra dispatch');
  assert.match(await site.page.locator('[data-testid="progress-run"]').innerText(), /fused WebGPU step \(7 dispatches per step\)/);
  // MC Dropout of a fused run takes the fused passes.
  await site.page.fill('#mc-samples', '10');
  await site.page.click('#btn-mc');
  s = await waitForState(site.page, (st) => st.mc && st.phase === 'idle', { what: 'MC Dropout on WebGPU', timeout: 200_000 });
  assert.deepEqual(s.mc.mc.map((e) => e.passes), [10]);
  assert.ok(s.mc.mc[0].accuracy >= 0 && s.mc.mc[0].accuracy <= 1);
  for (const name of ['sparsity', 'dropout-cost']) {
    await site.page.click(`.lesson-tab[data-lesson="${name}"]`);
    await fillForm(site.page, { 'lesson-epochs': 1, 'lesson-records': 0, 'lesson-depth': 2, 'lesson-width': 16 });
    await site.page.click('#btn-lesson-run');
    s = await waitForState(site.page, (st, n) => !st.lessons.active && st.phase === 'idle' && st.lessons.findings[n]?.finished, { arg: name, what: `the ${name} lesson on WebGPU`, timeout: 300_000 });
    const runs = s.runs.filter((r) => s.lessons.findings[name].runIds.includes(r.id));
    assert.ok(runs.length >= 2, `${name}: its runs`);
    for (const run of runs) assert.equal(run.step?.kind, 'fused', `${name}: ${run.name} trained on the fused step (${JSON.stringify(run.step)})`);
  }
});

test('the backend switch restarts the worker on CPU and keeps the runs', { timeout: 60_000 }, async () => {
  const runs = (await waitForState(site.page, (st) => st.phase === 'idle')).runs.length;
  await site.page.selectOption('#backend', 'cpu');
  const s = await waitForReady(site.page);
  assert.equal(s.backend.active, 'cpu');
  assert.equal(s.data.fromCache, s.data.files, 'the dataset is fed again from the cache');
  assert.equal(s.runs.length, runs);
  assert.match(site.page.url(), /backend=cpu/);
  assert.deepEqual(site.browser.problems, []);
});
