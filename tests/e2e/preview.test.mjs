// The signal-propagation preview of the form's settings, the update-to-weight ratios and the
// activation histograms, on the synthetic dataset and the default backend (CPU under SwiftShader).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { syntheticDataset, waitForState, waitForReady, fillForm, ensureOutputDir, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });

/** Picks `variant` and resets it to the preset. */
async function chooseVariant(page, variant) {
  await page.selectOption('#variant', variant);
  const reset = page.locator('.variant-modified-row .btn-link');
  if (await reset.isVisible()) await reset.click();
}

test('changing SELU to sigmoid redraws the preview without training, and sigmoid\'s gradients vanish', async (t) => {
  const page = site.page;
  await waitForReady(page);
  await chooseVariant(page, 'selu-lecun');
  const selu = await waitForState(page, (s) => s.preview.model?.activation === 'selu' && s.preview.model.depth === 20 && !s.preview.pending,
    { what: 'the SELU preview', timeout: 20_000 });
  assert.equal(selu.runs.length, 0, 'nothing was trained');
  // SELU + LeCun on N(0, 1) inputs: every layer stays near mean 0, std 1.
  for (const [l, std] of selu.preview.gaussian.act_std.entries()) assert.ok(Math.abs(std - 1) < 0.2, `layer ${l + 1}: std ${std}`);
  await page.screenshot({ path: join(ensureOutputDir(), 'preview-selu.png') });

  await fillForm(page, { activation: 'sigmoid' });
  const sigmoid = await waitForState(page, (s) => s.preview.model?.activation === 'sigmoid' && !s.preview.pending,
    { what: 'the sigmoid preview within 2 s of the change', timeout: 2_000 });
  assert.equal(sigmoid.preview.hasPrevious, true, 'the SELU preview stays, faded, for comparison');
  t.diagnostic(`preview of the 20 × 100 net: ${Math.round(selu.preview.seconds * 1000)} ms (SELU), ${Math.round(sigmoid.preview.seconds * 1000)} ms (sigmoid), request to answer`);
  for (const input of ['real', 'gaussian']) {
    const g = sigmoid.preview[input].grad_norm;
    assert.equal(g.length, 20);
    assert.ok(g[0] < g[19] / 100, `${input}: layer 1's gradient norm ${g[0]} is not below 1/100 of layer 20's ${g[19]}`);
  }
  assert.match(await page.locator('[data-testid="preview-verdict"]').innerText(), /^⚠ On images, at initialization: .*gradients vanish towards layer 1\.$/);
  assert.match(await page.locator('[data-testid="preview-verdict-figures"]').textContent(), /layer 1's gradient norm is .* layer 20's \(vanishing/);
  assert.equal(await page.locator('#preview .uplot').count(), 3);
  // The README's picture: the preview beside the run settings (a taller window shows both).
  await page.setViewportSize({ width: 1440, height: 1250 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ensureOutputDir(), 'preview-sigmoid.png'), clip: { x: 0, y: 262, width: 1440, height: 860 } });
  await page.setViewportSize({ width: 1440, height: 1000 });
});

test('a running run keeps making progress while the preview follows the form', async () => {
  const page = site.page;
  await chooseVariant(page, 'elu-he');
  await fillForm(page, { depth: 6, width: 32, epochs: 200, patience: 200, 'probe-every': 5 });
  await page.click('#btn-train');
  const running = await waitForState(page, (s) => s.run?.status === 'running' && s.run.steps >= 2, { what: 'the run to make progress' });
  const before = running.preview.updates;
  await fillForm(page, { activation: 'tanh' });
  const updated = await waitForState(page, (s, n) => s.preview.updates > n && s.preview.model?.activation === 'tanh',
    { arg: before, what: 'the preview of the edited settings while the run trains', timeout: 20_000 });
  assert.equal(updated.run.status, 'running', 'the preview was computed between two steps of the run');
  await waitForState(page, (s, n) => s.run.steps > n, { arg: updated.run.steps, what: 'more steps after the preview' });
  await page.click('#btn-stop');
  await waitForState(page, (s) => s.phase === 'idle' && s.run?.status === 'finished', { what: 'the stopped run to finish', timeout: 60_000 });
});

test('a ReLU run: a spike at 0 in every layer\'s histogram, update ratios after each step', async () => {
  const page = site.page;
  await chooseVariant(page, 'elu-he');
  await fillForm(page, { activation: 'relu', depth: 4, width: 32, epochs: 1, 'probe-every': 3, patience: 5 });
  await page.click('#btn-train');
  const s = await waitForState(page, (st) => st.run?.status === 'finished' && st.phase === 'idle' && st.histograms, { what: 'the ReLU run', timeout: 60_000 });
  const { lo, hi, bins, counts } = s.histograms;
  const zeroBin = Math.floor(((0 - lo) / (hi - lo)) * bins);
  assert.equal(counts.length, 4);
  for (const [l, row] of counts.entries()) {
    const total = row.reduce((a, b) => a + b, 0);
    assert.equal(total, 200 * 32, `layer ${l + 1}: one count per unit and probe image`);
    assert.equal(row.indexOf(Math.max(...row)), zeroBin, `layer ${l + 1}: the bin holding 0 is the tallest`);
    assert.ok(row[zeroBin] > 0.4 * total && row[zeroBin] > 3 * row[zeroBin + 1], `layer ${l + 1}: ${row}`);
    assert.equal(row.slice(0, zeroBin).reduce((a, b) => a + b, 0), 0, 'a ReLU has no negative outputs');
  }
  assert.equal(await page.locator('[data-testid="histogram-canvas"]').count(), 4, 'one image per layer');
  const width = await page.locator('[data-testid="histogram-canvas"]').first().evaluate((c) => c.width);
  assert.equal(width, s.run.probes, 'one column per probe');
  // Every probe after a step measured each kernel's update; the first (before any) and the final one (restored weights) did not.
  assert.equal(s.updateRatios[0], null);
  const measured = s.updateRatios.filter(Boolean);
  assert.ok(measured.length >= 1, `${s.updateRatios.length} probes`);
  for (const ratios of measured) assert.ok(ratios.length === 4 && ratios.every((r) => r > 0 && r < 1), String(ratios));
  assert.equal(await page.locator('#update-ratio .uplot').count(), 2);
  await page.locator('#histograms').screenshot({ path: join(ensureOutputDir(), 'histograms-relu.png') });
});
