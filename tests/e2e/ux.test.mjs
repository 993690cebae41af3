// The page as a student meets it: the Train control in the first screen and in view while
// scrolling, the one primary action, a time estimate before any run (a built-in guess, then
// measured here), focus that follows Train to Stop, the skip link and arrow keys, verdicts on the
// per-layer plots, no text under 13 px, a page that does not jump while it starts, and a phone
// layout (one-row bar, 44 px targets, the preview near the settings, no sideways scrolling) whose
// dataset download waits for a yes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { syntheticDataset, waitForState, waitForReady, fillForm, ensureOutputDir, useSite } from './helpers.mjs';
import { fmtApprox, fmtBytes } from '../../www/views/format.js';

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const site = useSite({ prepare: () => syntheticDataset('e2e'), path: null });

/** Visible elements with their own text whose computed font size is under `min` px. */
function smallText(page, min) {
  return page.evaluate((limit) => {
    const small = [];
    for (const el of document.querySelectorAll('body *')) {
      const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      if (!ownText || !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < limit) small.push(`${el.tagName.toLowerCase()}.${el.className} ${size}px "${el.textContent.trim().slice(0, 40)}"`);
    }
    return small;
  }, min);
}

// Layout shifts (not caused by input) from every load of the page, in page time.
const RECORD_SHIFTS = () => {
  window.layoutShifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const moved = e.sources.map((m) => `${m.node?.id || m.node?.className || m.node?.nodeName} ${Math.round(m.previousRect.top)}→${Math.round(m.currentRect.top)}`);
      if (!e.hadRecentInput) window.layoutShifts.push({ at: e.startTime, value: e.value, moved });
    }
  }).observe({ type: 'layout-shift', buffered: true });
};

/**
 * The layout shift of the page's first 3 s (the sum of Chromium's layout-shift entries, unwindowed)
 * and what moved: waits for 3 s of page time.
 */
async function layoutShiftIn3s(page) {
  await page.waitForFunction(() => performance.now() > 3000, null, { timeout: 30_000, polling: 100 });
  const shifts = await page.evaluate(() => window.layoutShifts.filter((s) => s.at < 3000));
  return { value: shifts.reduce((a, s) => a + s.value, 0), moved: shifts.map((s) => `${Math.round(s.at)} ms ${s.value.toFixed(3)}: ${s.moved.join(', ')}`).join('; ') };
}

/** Visible buttons styled as the primary action and not marked unavailable. */
function primaryActions(page) {
  return page.evaluate(() => [...document.querySelectorAll('.btn-primary')]
    .filter((el) => el.getClientRects().length && el.getAttribute('aria-disabled') !== 'true' && !el.disabled)
    .map((el) => el.id || el.textContent.trim()));
}

/** Whether the centre of `selector` is on screen and the element (not something over it) is hit there. */
function onScreen(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    const inside = r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
    return inside && el.contains(document.elementFromPoint(x, y));
  }, selector);
}

test('desktop: the page does not jump while it starts; Train is the one primary action, in the first screen and in view; pause, resume and stop only when they apply', async () => {
  await site.page.addInitScript(RECORD_SHIFTS);
  await site.page.setViewportSize(DESKTOP);
  await site.page.goto(`${site.url}?data=e2e`);
  const shift = await layoutShiftIn3s(site.page);
  console.log(`layout shift in the first 3 s at 1440 × 900: ${shift.value.toFixed(4)}`);
  assert.ok(shift.value < 0.1, `layout shift ${shift.value} in the first 3 s: ${shift.moved}`);
  await waitForReady(site.page);
  assert.deepEqual(await primaryActions(site.page), ['btn-train'], 'Train is the one primary action once the data is ready');
  assert.equal(await onScreen(site.page, '#btn-train'), true, 'Train in the first viewport');
  for (const id of ['btn-pause', 'btn-resume', 'btn-stop']) assert.equal(await site.page.locator(`#${id}`).isVisible(), false, `${id} is hidden before a run`);
  await site.page.evaluate(() => window.scrollTo({ top: document.documentElement.scrollHeight, behavior: 'instant' }));
  assert.ok(await site.page.evaluate(() => scrollY) > 500, 'the page scrolled');
  assert.equal(await onScreen(site.page, '#btn-train'), true, 'Train stays in view at the bottom of the page');
  assert.equal(await site.page.locator('[data-testid="advanced-settings"]').evaluate((d) => d.open), false, 'advanced settings are folded');
  assert.match(await site.page.locator('#variant option[value="selu-lecun"]').innerText(), /^8d · SELU/, 'variants have human labels');
  await site.page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  await site.page.screenshot({ path: join(ensureOutputDir(), 'ux-desktop-first.png') });
});

test('the skip link reaches the first lesson tab in two Tab presses; arrow keys move between tabs', async () => {
  await site.page.reload();
  await waitForReady(site.page);
  let presses = 0;
  await site.page.keyboard.press('Tab');
  presses += 1;
  assert.equal(await site.page.evaluate(() => document.activeElement.className), 'skip-link');
  await site.page.keyboard.press('Enter');
  await site.page.keyboard.press('Tab');
  presses += 1;
  const focused = () => site.page.evaluate(() => ({ role: document.activeElement.getAttribute('role'), lesson: document.activeElement.dataset.lesson, selected: document.activeElement.getAttribute('aria-selected') }));
  assert.deepEqual(await focused(), { role: 'tab', lesson: 'symmetry', selected: 'true' });
  assert.ok(presses <= 5);
  await site.page.keyboard.press('ArrowRight');
  assert.deepEqual(await focused(), { role: 'tab', lesson: 'zero-bias', selected: 'true' });
  await site.page.keyboard.press('ArrowLeft');
  assert.deepEqual(await focused(), { role: 'tab', lesson: 'symmetry', selected: 'true' });
});

test('a time estimate is shown before any run (a built-in guess), then from the speed measured in this browser', async () => {
  // A fresh profile, the dataset ready, nothing trained or measured yet.
  const before = await waitForState(site.page, (st) => st.runs.length === 0 && !st.speed, { what: 'a page with nothing measured' });
  assert.equal(before.runs.length, 0);
  assert.match(await site.page.locator('[data-testid="estimate"]').innerText(), /^Train: .+ at most.*\(a rough guess until measured here\)$/);
  assert.match(await site.page.locator('[data-testid="estimate-source"]').innerText(), /built-in guess for this backend/);
  assert.equal(await site.page.locator('#btn-measure').isVisible(), true, 'a measurement is offered');
  await fillForm(site.page, { depth: 4, width: 32, epochs: 2, 'max-records': 0, 'batch-size': 32, 'probe-every': 3, patience: 5 });
  await site.page.click('#btn-measure');
  const s = await waitForState(site.page, (st) => st.speed && st.phase === 'idle', { what: 'the speed test' });
  assert.equal(s.speed.backend, s.backend.active);
  assert.ok(s.speed.samplesPerSecond > 0);
  // 2 epochs × 600 records at the measured rate (validation is not in a sweep's figure).
  const expected = fmtApprox((2 * 600) / s.speed.samplesPerSecond);
  const text = await site.page.locator('[data-testid="estimate"]').innerText();
  assert.ok(text.includes(`Train: ${expected} at most`), `"${text}" states ${expected}`);
  assert.match(await site.page.locator('[data-testid="estimate-source"]').innerText(), /measured by a timed sweep/);
  assert.match(await site.page.locator('#run-length').innerText(), /Full exercise: 100 epochs × 600 records, ≈/, 'the full exercise is one choice away, with its time');
});

test('after Enter on Train, focus is on Stop and the next Tab reaches Pause; focus returns to Train when the run ends', async () => {
  // Batch 1: an epoch long enough to be seen under way.
  await fillForm(site.page, { depth: 20, width: 100, epochs: 50, 'batch-size': 1 });
  await site.page.locator('#btn-train').focus();
  await site.page.keyboard.press('Enter');
  await site.page.waitForFunction(() => document.activeElement?.id === 'btn-stop', null, { timeout: 30_000 });
  await site.page.keyboard.press('Tab');
  assert.equal(await site.page.evaluate(() => document.activeElement.id), 'btn-pause', 'the next Tab reaches Pause');
  // During the first epoch the training time counts the epoch under way (it read "0 ms").
  await waitForState(site.page, (st) => st.run?.status === 'running' && st.run.steps > 0 && st.run.epochs === 0, { what: 'the first epoch under way' });
  assert.match(await site.page.locator('[data-testid="progress-elapsed"]').innerText(), /^≈ \d/);
  await site.page.keyboard.press('Shift+Tab');
  await site.page.keyboard.press('Enter');
  await waitForState(site.page, (st) => st.phase === 'idle' && st.run?.status === 'finished', { what: 'the stopped run', timeout: 60_000 });
  await site.page.waitForFunction(() => document.activeElement?.id === 'btn-train', null, { timeout: 5000 });
  // The later tests expect no 20 × 100 run to estimate from.
  const stopped = await site.page.evaluate(() => window.selfnorm.state.run.id);
  await site.page.click(`[data-run-id="${stopped}"] [data-action="delete"]`);
  await site.page.click(`[data-run-id="${stopped}"] [data-action="confirm-delete"]`);
  await waitForState(site.page, (st, id) => !st.runs.some((r) => r.id === id), { arg: stopped, what: 'the stopped run deleted' });
  await fillForm(site.page, { depth: 4, width: 32, epochs: 2, 'batch-size': 32 });
});

test('a short run: the estimate then comes from it; verdicts with thresholds; keyboard probe picking; MC Dropout off without dropout', async () => {
  await site.page.click('#btn-train');
  const s = await waitForState(site.page, (st) => st.run?.status === 'finished' && st.phase === 'idle' && st.run.hasWeights, { what: 'the run', timeout: 60_000 });
  assert.match(await site.page.locator('[data-testid="estimate-source"]').innerText(), new RegExp(`measured on ${s.run.name.replace(/[*#]/g, '\\$&')}`));
  // One plain sentence, marked; the figures and thresholds one click away.
  assert.match(await site.page.locator('[data-testid="diagnosis"]').innerText(), /^[✓⚠] (After the run \(restored best epoch \d+\)|After [\d,]+ steps): the signal (is level across depth|shrinks with depth|grows with depth); gradients (reach layer 1 at a healthy size|vanish towards layer 1|explode towards layer 1)\.$/);
  assert.equal(await site.page.locator('[data-testid="diagnosis-figures"]').isVisible(), false, 'the figures are folded');
  await site.page.locator('#layer-stats .verdict-more summary').click();
  const diagnosis = await site.page.locator('[data-testid="diagnosis-figures"]').innerText();
  assert.match(diagnosis, /Layer 1 differs by construction: its kernel is 3,072 × 32 .* against 32 × 32/, 'why layer 1 differs');
  // Past the first step the signal is described, not judged (vanishing and exploding are claims about initialization).
  // The latest probe of a finished run measures the restored best epoch's weights, and says so.
  assert.match(diagnosis, /^After (\d+ steps|the run: the restored weights of its best epoch \(\d+\)).*signal (level across depth|shrinks with depth|grows with depth)\. Activation std: .* at layer 1 → .* at layer 4 .*level within ×2 either way/);
  assert.match(diagnosis, /Gradients (healthy|vanishing|exploding): .*healthy within ×10/);
  // The verdict rule against direct cases on both sides of each threshold.
  const verdicts = await site.page.evaluate(async () => {
    // The built site keeps its modules beside boot.js, in a folder named after the build.
    const base = document.querySelector('script[type="module"]').src;
    const { layerVerdicts } = await import(new URL('views/layer-stats.js', base));
    const v = (act, grad) => layerVerdicts({ act_std: act, grad_norm: grad });
    return [v([1, 0.49], [1, 1]), v([1, 0.51], [0.09, 1]), v([2, 4.1], [11, 1]), v([3.8, 3.9], [0.5, 1])]
      .map(({ signal, gradient }) => `${signal.verdict}/${gradient.verdict}`);
  });
  assert.deepEqual(verdicts, ['vanishing/healthy', 'healthy/vanishing', 'exploding/exploding', 'healthy/healthy']);

  const heatmap = site.page.locator('[data-testid="heatmap-canvas"]');
  await heatmap.focus();
  await site.page.keyboard.press('Home');
  await site.page.locator('[data-testid="probe-label"]', { hasText: `1 of ${s.run.probes}` }).waitFor({ timeout: 5000 });
  assert.match(await site.page.locator('[data-testid="diagnosis"]').innerText(), /^[✓⚠] At initialization: the signal (keeps its scale through the layers|fades with depth|grows with depth); /);
  assert.match(await site.page.locator('[data-testid="diagnosis-figures"]').innerText(), /^At initialization .*signal (healthy|vanishing|exploding)\. Activation std: .*healthy within ×2 either way, vanishing below 1\/2, exploding above 2/);
  await site.page.keyboard.press('ArrowRight');
  await site.page.locator('[data-testid="probe-label"]', { hasText: `2 of ${s.run.probes}` }).waitFor({ timeout: 5000 });

  // Histograms large enough to read, each with its activation axis from −4 to 4.
  const histogram = site.page.locator('#histograms .histogram-layer').first();
  assert.deepEqual(await histogram.locator('.histogram-tick').allInnerTexts(), ['4', '0', '−4']);
  assert.ok((await histogram.locator('.histogram-box').boundingBox()).height >= 140, 'histograms at least 140 px tall');
  // The line under the pointer in the 20-line chart is picked out and named.
  const overlay = site.page.locator('#update-ratio .stat-wide').nth(1).locator('.u-over');
  await overlay.scrollIntoViewIfNeeded();
  const over = await overlay.boundingBox();
  const hovered = site.page.locator('[data-testid="update-ratio-hovered"]');
  for (let y = over.y + 2; y < over.y + over.height && !(await hovered.innerText()); y += 6) await site.page.mouse.move(over.x + over.width * 0.6, y);
  assert.match(await hovered.innerText(), /^layer \d+: \d/, 'the hovered line is named');
  assert.match(await site.page.locator('[data-testid="runs-view-load"]').innerText(), /^View shows .*; Load weights puts/);

  assert.equal(s.loadedRunId, s.run.id, 'its weights are in the worker');
  assert.equal(await site.page.locator('#btn-mc').isDisabled(), true, 'no MC Dropout on a net without dropout');
  assert.match(await site.page.locator('[data-testid="mc-note"]').innerText(), /no dropout layer/);
});

test('Stop is offered during an LR sweep, and the sweep\'s chart is brought into view', async () => {
  await site.page.evaluate(() => window.scrollTo({ top: document.documentElement.scrollHeight, behavior: 'instant' }));
  await fillForm(site.page, { depth: 20, width: 100, 'lr-steps': 400 });
  await site.page.click('#btn-lr-find');
  await waitForState(site.page, (st) => st.phase === 'lr-finding', { what: 'the sweep' });
  assert.equal(await site.page.locator('#btn-stop').isVisible(), true);
  assert.equal(await site.page.locator('#btn-stop').isEnabled(), true);
  assert.equal(await site.page.locator('#btn-train').isDisabled(), true);
  await waitForState(site.page, (st) => st.lrFinder && st.phase === 'idle', { what: 'the sweep to end', timeout: 120_000 });
  await site.page.waitForFunction(() => {
    const r = document.querySelector('#lr-finder').getBoundingClientRect();
    return r.top >= 0 && r.top < innerHeight / 2;
  }, null, { timeout: 15_000 });
  assert.equal(await site.page.locator('#btn-stop').isVisible(), false);
  // Legend values to their scale: at most 4 significant digits, an exponent for large ones.
  const values = await site.page.locator('#lr-finder .u-legend .u-value').allInnerTexts();
  const long = values.filter((v) => v !== '—' && v.replace(/e.*/, '').replace(/[-.]/g, '').replace(/^0+/, '').length > 4);
  assert.deepEqual(long, [], `LR finder legend: ${values.join(', ')}`);
  assert.deepEqual(await smallText(site.page, 13), [], 'no text under 13 px');
  assert.ok(await site.page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize)) >= 15, 'body text ≥ 15 px');
  await site.page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  await site.page.screenshot({ path: join(ensureOutputDir(), 'ux-desktop.png') });
});

test('phone: no jump while it starts, the download waits for a yes, a one-row bar, 44 px targets, the preview near the settings, no sideways scrolling, lessons first, every control reachable', async () => {
  await site.page.setViewportSize(PHONE);
  await site.page.reload();
  const shift = await layoutShiftIn3s(site.page);
  console.log(`layout shift in the first 3 s at 390 × 844: ${shift.value.toFixed(4)}`);
  assert.ok(shift.value < 0.1, `layout shift ${shift.value} in the first 3 s: ${shift.moved}`);
  const s = await waitForState(site.page, (st) => st.data.awaitingConsent && st.backend.status === 'ready', { what: 'the download question' });
  assert.equal(s.data.verified, 0, 'nothing is loaded before the yes');
  const manifest = await site.page.evaluate(() => fetch('data/e2e/manifest.json').then((r) => r.json()));
  const { loadingOrder } = await import('../../www/io/data-loader.js');
  const bytes = loadingOrder(manifest).reduce((a, f) => a + f.bytes, 0);
  assert.match(await site.page.locator('[data-testid="consent-text"]').innerText(), new RegExp(fmtBytes(bytes).replace('.', '\\.')));
  await site.page.click('#btn-download');
  await waitForReady(site.page);
  // The form holds the sweep's 20 × 100 net; the only run kept (a reload drops the sweep's figure) is 4 × 32.
  assert.match(await site.page.locator('[data-testid="estimate"]').innerText(), /from another net's speed/);
  assert.equal(await site.page.locator('#btn-measure').isVisible(), true, 'a measurement of this net is offered');
  const wide = await site.page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > innerWidth + 0.5)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className} right ${Math.round(el.getBoundingClientRect().right)}`));
  assert.deepEqual(wide, [], 'nothing sticks out to the right');
  assert.ok(await site.page.evaluate(() => document.documentElement.scrollWidth) <= PHONE.width, 'no sideways scrolling');
  const top = (sel) => site.page.locator(sel).evaluate((el) => el.getBoundingClientRect().top + scrollY);
  assert.ok(await top('#lessons') < await top('#controls'), 'lessons come before the settings');
  const previewGap = await top('#preview') - await top('#variant');
  console.log(`phone: the preview's top is ${Math.round(previewGap)} px below the Variant field's`);
  assert.ok(previewGap > 0 && previewGap <= PHONE.height, `the preview is ${previewGap} px below Variant, within one screen`);

  // What stays on screen while scrolling: one row, at most 72 px, holding Train.
  await site.page.evaluate(() => window.scrollTo({ top: 1500, behavior: 'instant' }));
  const held = await site.page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((el) => ['sticky', 'fixed'].includes(getComputedStyle(el).position) && el.getClientRects().length)
    .map((el) => {
      const r = el.getBoundingClientRect();
      const tops = new Set([...el.querySelectorAll('button')].filter((b) => b.getClientRects().length).map((b) => Math.round(b.getBoundingClientRect().top)));
      return { height: r.height, top: r.top, rows: tops.size, train: el.contains(document.querySelector('#btn-train')) };
    }));
  console.log(`phone: what stays in view while scrolling: ${JSON.stringify(held)}`);
  assert.equal(held.length, 1, 'one element stays in view');
  assert.ok(held[0].height <= 72 && held[0].top === 0 && held[0].rows === 1 && held[0].train, 'the bar is one row of at most 72 px, with Train');
  await site.page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));

  // Touch targets: every button, link and select shown is at least 44 px each way, by the box a tap hits.
  const small = await site.page.evaluate(() => [...document.querySelectorAll('button, a[href], select')]
    .filter((el) => el.getClientRects().length)
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([el, r]) => `${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(r.width)} × ${Math.round(r.height)} "${el.textContent.trim().slice(0, 30)}"`));
  assert.deepEqual(small, [], 'touch targets of at least 44 × 44 px');
  // Every control is reachable once its folded section is opened.
  await site.page.evaluate(() => document.querySelectorAll('#controls details').forEach((d) => { d.open = true; }));
  const unreachable = await site.page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, input, select, a[href], [tabindex="0"]')) {
      // The skip link shows only when focused; the file input is opened by its button.
      if (!el.getClientRects().length || el.type === 'file' || el.classList.contains('skip-link')) continue;
      el.scrollIntoView({ block: 'center', inline: 'nearest', behavior: 'instant' });
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (r.left < 0 || r.right > innerWidth + 0.5 || !(el.contains(hit) || hit?.control === el || hit?.contains(el))) bad.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}"`);
    }
    return bad;
  });
  assert.deepEqual(unreachable, [], 'every control is on screen and not covered once scrolled to');
  assert.deepEqual(await smallText(site.page, 13), [], 'no text under 13 px');
  await site.page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
  await site.page.screenshot({ path: join(ensureOutputDir(), 'ux-phone.png') });
  await site.page.screenshot({ path: join(ensureOutputDir(), 'ux-phone-full.png'), fullPage: true });
  // The backend's reason keeps to one line; a tap shows all of it.
  const reason = site.page.locator('[data-testid="backend-reason"]');
  const cut = () => reason.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
  assert.equal(await cut(), true, 'the reason is cut to one line on a phone');
  await reason.click();
  assert.equal(await cut(), false, 'a tap shows the whole reason');
  assert.deepEqual(site.browser.problems, []);
});

test('MC Dropout: an estimate before it starts, then passes done of all in the results table, and Stop there', { timeout: 180_000 }, async () => {
  await site.page.setViewportSize(DESKTOP);
  await site.page.selectOption('#variant', 'selu-alpha-dropout');
  await fillForm(site.page, { depth: 20, width: 100, epochs: 1, 'max-records': 0 });
  await site.page.click('#btn-train');
  await waitForState(site.page, (st) => st.run?.variant === 'selu-alpha-dropout' && st.run.status === 'finished' && st.run.hasWeights && st.phase === 'idle' && st.loadedRunId === st.run.id, { what: 'the alpha-dropout run', timeout: 90_000 });
  const counts = Array(30).fill(50);
  await site.page.fill('#mc-samples', counts.join(', '));
  const total = 1 + counts.length * 50;
  // The estimate follows the samples as they are typed.
  await site.page.locator('[data-testid="mc-estimate"]', { hasText: new RegExp(`^Takes .+: ${total.toLocaleString('en-US')} passes over the validation set`) }).waitFor({ timeout: 5000 });
  // Every progress line the page shows, to see it move within a count too.
  await site.page.evaluate(() => {
    window.mcSeen = [];
    const line = document.querySelector('[data-testid="mc-progress"]');
    new MutationObserver(() => window.mcSeen.push(line.textContent)).observe(line, { childList: true, characterData: true, subtree: true });
  });
  await site.page.click('#btn-mc');
  // Passes done of all, in the results panel, while the counts go on.
  const progress = site.page.locator('[data-testid="mc-progress"]');
  await site.page.waitForFunction((t) => {
    const m = document.querySelector('[data-testid="mc-progress"]')?.textContent.match(/^MC Dropout: ([\d,]+) of ([\d,]+) passes done; N = 50 running/);
    return m && Number(m[1].replace(/,/g, '')) >= 51 && Number(m[2].replace(/,/g, '')) === t;
  }, total, { timeout: 60_000 });
  console.log(`MC Dropout progress: "${await progress.innerText()}"`);
  assert.equal(await site.page.locator('[data-testid="mc-plain"]').isVisible(), true, 'the plain evaluation is in the table');
  assert.ok(await site.page.locator('#mc-results .mc-pending').count() >= 1, 'the counts to come are listed');
  const stop = site.page.locator('#btn-mc-stop');
  assert.equal(await stop.isVisible(), true);
  await stop.click();
  const s = await waitForState(site.page, (st) => st.phase === 'idle' && st.mc, { what: 'the stopped MC Dropout', timeout: 60_000 });
  assert.equal(s.mc.stopped, true);
  assert.ok(s.mc.mc.length >= 1 && s.mc.mc.length < counts.length, `${s.mc.mc.length} counts done`);
  assert.equal(await progress.isVisible(), false, 'the progress line goes once it ends');
  // On the CPU backend (the generic step) the passes are counted one by one, not only per count.
  const done = (await site.page.evaluate(() => window.mcSeen)).map((t) => Number(t.match(/^MC Dropout: ([\d,]+) of/)?.[1].replace(/,/g, ''))).filter(Number.isFinite);
  const withinCount = done.filter((n) => n > 1 && (n - 1) % 50 !== 0);
  console.log(`MC Dropout: ${done.length} progress lines, ${withinCount.length} within a count (${withinCount.slice(0, 8).join(', ')}…)`);
  assert.ok(withinCount.length > 0, `progress moves within a count: ${done.join(', ')}`);
  assert.equal(await site.page.locator('#mc-results .mc-pending').count(), 0);
});

test('the Storage panel lists the dataset with its size, and removing it frees that space', async () => {
  const manifestText = await site.page.evaluate(() => fetch('data/e2e/manifest.json').then((r) => r.text()));
  const { loadingOrder } = await import('../../www/io/data-loader.js');
  const bytes = loadingOrder(JSON.parse(manifestText)).reduce((a, f) => a + f.bytes, 0) + Buffer.byteLength(manifestText);
  const item = site.page.locator('[data-testid="storage-datasets"] li[data-dataset="e2e"]');
  await item.scrollIntoViewIfNeeded();
  await site.page.waitForFunction((b) => document.querySelector('[data-testid="storage-datasets"] li[data-dataset="e2e"]')?.textContent.includes(b), fmtBytes(bytes), { timeout: 15_000 });
  const used = () => site.page.evaluate(() => navigator.storage.estimate().then((e) => e.usage));
  const cachedFiles = () => site.page.evaluate(async () => (await (await caches.open('selfnorm-data-v1')).keys()).filter((r) => r.url.includes('/data/e2e/')).length);
  const before = await used();
  assert.ok(await cachedFiles() > 0, 'the dataset is in the cache');
  await item.locator('[data-action="remove-dataset"]').click();
  await item.locator('[data-action="remove-dataset"]').click();
  await site.page.locator('[data-testid="storage-removed"]', { hasText: 'Removed the dataset e2e' }).waitFor({ timeout: 15_000 });
  assert.equal(await cachedFiles(), 0, 'none of its files is left in the cache');
  await site.page.locator('[data-testid="storage-datasets"] li[data-dataset="e2e"]').waitFor({ state: 'detached', timeout: 15_000 });
  // The browser's own count of this site's bytes falls by the dataset's size (it may lag a little).
  let freed = 0;
  for (let i = 0; i < 50 && freed < 0.9 * bytes; i += 1) {
    freed = before - await used();
    if (freed < 0.9 * bytes) await site.page.waitForTimeout(200);
  }
  console.log(`storage: the dataset's ${bytes} bytes listed; removing it freed ${freed} bytes by navigator.storage.estimate()`);
  assert.ok(freed >= 0.9 * bytes, `removing ${bytes} bytes freed ${freed}`);
  assert.deepEqual(site.browser.problems, []);
});
