// The lessons panel: one click trains a lesson's runs one after the other (each a normal run in
// the runs table) and shows the figure that answers its question, with the finding the wasm
// module computes as the CLI's `selfnorm lesson NAME` does; the last finding survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { syntheticDataset, waitForState, waitForReady, fillForm, ensureOutputDir, useSite } from './helpers.mjs';

const QUICK = { 'lesson-epochs': 1, 'lesson-records': 0, 'lesson-depth': 3, 'lesson-width': 16 };
const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });

async function runLesson(name, fields, timeout = 60_000) {
  await site.page.click(`.lesson-tab[data-lesson="${name}"]`);
  await fillForm(site.page, fields);
  const before = (await waitForState(site.page, (st) => st.phase === 'idle' && st.lessons.catalog.length === 7, { what: 'the lesson catalog' })).lessons.findings[name]?.finished ?? 0;
  await site.page.click('#btn-lesson-run');
  await waitForState(site.page, (st, n) => st.lessons.active?.name === n, { arg: name, what: `the ${name} lesson to start` });
  return waitForState(site.page, (st, [n, previous]) => !st.lessons.active && st.phase === 'idle' && (st.lessons.findings[n]?.finished ?? 0) > previous,
    { arg: [name, before], what: `the ${name} lesson's finding`, timeout });
}

test('the lessons panel lists the seven lessons with their questions', async () => {
  const s = await waitForReady(site.page);
  assert.deepEqual(s.lessons.catalog, ['symmetry', 'zero-bias', 'activations', 'momentum', 'sparsity', 'dropout-cost', 'one-cycle']);
  assert.equal(await site.page.locator('.lesson-tab').count(), 7);
  await site.page.click('.lesson-tab[data-lesson="activations"]');
  // The panel draws the chosen lesson on the next animation frame.
  await site.page.locator('[data-testid="lesson-question"]', { hasText: /SELU vs ReLU/ }).waitFor({ timeout: 5000 });
  assert.equal(await site.page.locator('[data-testid="lesson-runs"] .lesson-run-chip').count(), 7);
  // Defaults suited to the backend: auto picks the CPU here, which takes the chapter's 20 × 100 net.
  assert.equal(s.backend.active, 'cpu');
  assert.equal(await site.page.locator('#lesson-depth').inputValue(), '20');
  assert.equal(await site.page.locator('#lesson-width').inputValue(), '100');
  assert.match(await site.page.locator('[data-testid="lesson-hint"]').innerText(), /CPU/);
  assert.equal(await site.page.locator('#lesson-l1').isVisible(), false, 'the L1 slider belongs to the sparsity lesson');
});

test('symmetry: one click to the finding — identical init keeps every layer\'s units identical', async () => {
  const s = await runLesson('symmetry', QUICK);
  const { finding, runIds } = s.lessons.findings.symmetry;
  assert.equal(runIds.length, 2);
  const identical = finding.runs.identical;
  const he = finding.runs['he-normal'];
  assert.equal(identical.layers.unit_spread.length, 3);
  for (const spread of identical.layers.unit_spread) assert.ok(Math.abs(spread) < 1e-4, `identical init: unit spread ${spread} ≈ 0`);
  for (const spread of he.layers.unit_spread) assert.ok(spread > 1e-3, `He init: unit spread ${spread} > 0`);
  assert.ok(identical.val_accuracy >= 0 && he.val_accuracy >= 0);
  // Each run of the lesson is a normal run, named after the lesson.
  for (const id of runIds) {
    const run = s.runs.find((r) => r.id === id);
    assert.equal(run.status, 'finished');
    assert.equal(run.epochs, 1);
    assert.ok(run.hasWeights);
  }
  assert.deepEqual(runIds.map((id) => s.runs.find((r) => r.id === id).name), ['Q1 Identical init · identical', 'Q1 Identical init · he-normal'], 'lesson runs are named as their tab');
  const figure = site.page.locator('[data-testid="lesson-finding"][data-lesson="symmetry"]');
  await figure.waitFor();
  assert.ok(await figure.locator('canvas').count() >= 1, 'the unit-spread chart is drawn');
  assert.equal(await figure.locator('.acc-row').count(), 2);
  assert.match(await figure.locator('[data-testid="lesson-takeaway"]').innerText(), /identical: unit spread 0 in every layer/);
  assert.match(await figure.innerText(), /every unit of a layer computes the same thing/);
  await site.page.locator('#lessons').screenshot({ path: join(ensureOutputDir(), 'lesson-symmetry.png') });
});

test('sparsity: zero fractions per layer for every run and the pruning table', async () => {
  await site.page.click('.lesson-tab[data-lesson="sparsity"]');
  await site.page.locator('#lesson-l1').waitFor({ state: 'visible', timeout: 5000 });
  // The slider's last stop: 1e-2, strong enough to show after one short epoch.
  await site.page.locator('#lesson-l1').evaluate((el) => {
    el.value = el.max;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await site.page.locator('.l1-value').innerText(), '1e-2');
  await waitForState(site.page, (st) => st.lessons.catalog.length === 7, { what: 'the catalog' });
  await site.page.locator('.lesson-run-chip', { hasText: 'L1 0.01' }).waitFor({ timeout: 5000 });
  const s = await runLesson('sparsity', QUICK);
  const { finding } = s.lessons.findings.sparsity;
  const labels = Object.keys(finding.runs).sort();
  assert.deepEqual(labels, ['L1 0.01', 'dropout 0.2', 'no regularization']);
  for (const label of labels) {
    const fractions = finding.runs[label].zero_fraction;
    assert.equal(fractions.length, 4, 'three hidden kernels and the output kernel');
    for (const f of fractions) assert.ok(f >= 0 && f <= 1);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(finding.runs['L1 0.01'].zero_fraction) > mean(finding.runs['no regularization'].zero_fraction), 'L1 makes more weights (near) zero');
  const pruning = finding.runs['no regularization'].pruning;
  assert.deepEqual(pruning.map((p) => p.sparsity), [0.5, 0.8, 0.9, 0.95]);
  assert.ok(!('pruning' in finding.runs['L1 0.01']), 'pruning is measured on the first run only');
  const table = site.page.locator('[data-testid="lesson-finding"][data-lesson="sparsity"] [data-testid="pruning-table"]');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), 5, 'unpruned, then the four sparsities');
  assert.match(await table.innerText(), /95\s%/);
});

test('activations: per-layer statistics of the seven activations in the chapter\'s 20 × 100 net', async () => {
  const s = await runLesson('activations', { 'lesson-epochs': 1, 'lesson-records': 0, 'lesson-depth': 20, 'lesson-width': 100 });
  const { finding } = s.lessons.findings.activations;
  assert.deepEqual(Object.keys(finding.runs).sort(), ['elu', 'leaky-relu', 'relu', 'selu', 'sigmoid', 'swish', 'tanh']);
  for (const [label, run] of Object.entries(finding.runs)) {
    for (const key of ['act_mean', 'act_std', 'dead', 'saturated', 'grad_norm']) assert.equal(run.layers[key].length, 20, `${label} ${key}`);
  }
  // What the chapter says, seen in the figures: SELU self-normalizes, sigmoid's gradients vanish
  // towards the input, some ReLU units die.
  for (const std of finding.runs.selu.layers.act_std) assert.ok(std > 0.5 && std < 2, `SELU activation std ${std}`);
  const sigmoid = finding.runs.sigmoid.layers.grad_norm;
  assert.ok(sigmoid[0] < sigmoid[19] / 100, `sigmoid gradient norm ${sigmoid[0]} at layer 1, ${sigmoid[19]} at layer 20`);
  assert.ok(Math.max(...finding.runs.relu.layers.dead) > 0, 'dead ReLU units');
  const figure = site.page.locator('[data-testid="lesson-finding"][data-lesson="activations"]');
  await figure.waitFor();
  assert.equal(await figure.locator('.uplot').count(), 5, 'mean, std, gradient norm, dead and saturated');
  assert.equal(await figure.locator('.acc-row').count(), 7);
  await site.page.locator('#lessons').screenshot({ path: join(ensureOutputDir(), 'lesson-activations.png') });
});

test('the last finding of each lesson is shown again after a reload', async () => {
  await site.page.reload();
  const s = await waitForReady(site.page);
  assert.deepEqual(Object.keys(s.lessons.findings).sort(), ['activations', 'sparsity', 'symmetry']);
  // A lesson trains several runs: they keep their weights only until the page closes (unless asked).
  for (const id of s.lessons.findings.symmetry.runIds) assert.equal(s.runs.find((r) => r.id === id).hasWeights, false);
  await site.page.locator('[data-testid="lesson-finding"][data-lesson="activations"] canvas').first().waitFor();
  await site.page.click('.lesson-tab[data-lesson="sparsity"]');
  await site.page.locator('[data-testid="lesson-finding"][data-lesson="sparsity"] [data-testid="pruning-table"]').waitFor();
  await site.page.click('.lesson-tab[data-lesson="symmetry"]');
  await site.page.locator('[data-testid="lesson-finding"][data-lesson="symmetry"] canvas').first().waitFor();
  assert.equal(await site.page.locator('.lesson-tab.has-finding').count(), 3);
  await site.page.click('.lesson-tab[data-lesson="momentum"]');
  await site.page.locator('[data-testid="lesson-empty"]').waitFor();
  assert.deepEqual(site.browser.problems, []);
});
