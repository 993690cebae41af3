// Exercise 8 in one click: the quick length runs every part on the one training loop of the
// wasm module (crate/src/exercise, as `selfnorm exercise`) and fills the table row by row; the
// table survives a reload, and a stopped exercise resumes at the part after its kept rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { syntheticDataset, waitForState, waitForReady, ensureOutputDir, useSite } from './helpers.mjs';

const ROWS = ['b', 'c', 'd', 'e', 'mc10', 'mc100', 'f'];
const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });
const pct = (x) => `${(100 * x).toFixed(1)}\u00a0%`;

async function start(edition) {
  await waitForReady(site.page);
  await site.page.selectOption('#exercise-edition', edition);
  await site.page.selectOption('#exercise-length', 'quick');
  await waitForState(site.page, (st) => st.phase === 'idle' && st.exercise?.plan, { what: 'the exercise plan' });
  await site.page.click('#btn-exercise-run');
  await waitForState(site.page, (st) => st.exercise.active, { what: 'the exercise to start' });
}

const ended = () => waitForState(site.page, (st) => !st.exercise.active && st.phase === 'idle', { what: 'the exercise to end', timeout: 900_000 });

test('the quick exercise runs every part to the end and fills the table beside the 3rd edition\'s figures', async () => {
  await start('third');
  const s = await ended();
  const kept = s.exercise.kept.third;
  assert.equal(kept.complete, true, JSON.stringify(s.exercise.failure));
  assert.deepEqual(kept.rows.map((r) => r.row), ROWS);
  assert.deepEqual(kept.rows.slice(0, 2).map((r) => r.variant), ['swish-he', 'swish-he-bn']);
  // The table shows the worker's rows: validation and test accuracy, and the book's figure
  // (drawn on the frame after the state that ended the exercise).
  await site.page.waitForFunction((rows) => rows.every((r) => document.querySelector(`[data-testid="exercise-table"] tr[data-row="${r}"]:not(.pending)`)), ROWS, { timeout: 10_000 })
    .catch(async () => assert.fail(`the table did not fill: ${JSON.stringify(site.browser.problems)} ${await site.page.locator('[data-testid="exercise-table"]').innerHTML()}`));
  for (const r of kept.rows) {
    const cells = await site.page.locator(`[data-testid="exercise-table"] tr[data-row="${r.row}"] td`).allInnerTexts();
    // On this small synthetic set 1cycle's peak (where the LR finder's smoothed loss is lowest)
    // may be too high: a diverged part is a row that says so, not a failure of the exercise.
    if (r.row === 'f' && r.stop.kind === 'diverged') {
      assert.deepEqual([r.valid, cells[2]], [null, 'diverged']);
      continue;
    }
    assert.ok(r.valid, `${r.row} was measured: ${JSON.stringify(r.stop)}`);
    assert.equal(cells[2], pct(r.valid.accuracy), `${r.row} validation accuracy`);
    assert.equal(cells[3], r.test ? pct(r.test.accuracy) : '—', `${r.row} test accuracy`);
  }
  const bookB = await site.page.locator('[data-testid="exercise-table"] tr[data-row="b"] td').nth(5).innerText();
  assert.equal(bookB, pct(0.468));
  // Each trained part is a run in the runs table; (e)'s MC rows re-measure (e)'s net.
  const partRuns = s.runs.filter((r) => r.name.startsWith('Exercise 8'));
  assert.equal(partRuns.length, 5);
  // The names of the edition, the length and the rows are the crate's (crate/src/choices.rs).
  assert.equal(partRuns.find((r) => r.id === kept.runIds.b)?.name, 'Exercise 8b (3rd edition, quick) · swish-he');
  assert.deepEqual(await site.page.locator('[data-testid="exercise-table"] tbody th').allInnerTexts(), [
    '(b) Nadam + early stopping', '(c) + batch norm', '(d) SELU, self-normalizing', '(e) + alpha dropout',
    '(e) MC Dropout, 10 passes', '(e) MC Dropout, 100 passes', '(f) 1cycle']);
  assert.match(await site.page.locator('[data-testid="exercise-table"] tr[data-row="f"] td').first().innerText(), /\(LR finder\)$/);
  const statuses = partRuns.map((r) => r.status);
  assert.deepEqual(statuses.slice(0, 4), ['finished', 'finished', 'finished', 'finished']);
  assert.equal(statuses[4], kept.rows[6].stop.kind === 'diverged' ? 'diverged' : 'finished');
  await site.page.locator('#exercise').screenshot({ path: join(ensureOutputDir(), 'exercise.png') });
  // After a reload the table is still there.
  await site.page.reload();
  await waitForReady(site.page);
  await site.page.selectOption('#exercise-edition', 'third');
  // The view renders on the next frame after the edition's change.
  const cell = '[data-testid="exercise-table"] tr[data-row="e"] td:nth-of-type(3)';
  const expected = pct(kept.rows[3].valid.accuracy);
  await site.page.waitForFunction(([sel, text]) => document.querySelector(sel)?.textContent === text, [cell, expected], { timeout: 10_000 })
    .catch(() => {});
  assert.equal(await site.page.locator(cell).innerText(), expected);
  assert.deepEqual(site.browser.problems, []);
});

test('a paused exercise goes on; a stopped one keeps its ended parts and Resume goes on with the next part', async () => {
  await start('second');
  await site.page.click('#btn-exercise-pause');
  const paused = await waitForState(site.page, (st) => st.exercise.active?.paused, { what: 'the exercise to pause' });
  assert.equal(paused.phase, 'exercise', 'nothing else may start meanwhile');
  assert.equal(await site.page.locator('#btn-exercise-pause').innerText(), 'Continue');
  await site.page.click('#btn-exercise-pause');
  await waitForState(site.page, (st) => st.exercise.active && !st.exercise.active.paused, { what: 'the exercise to go on' });
  // Stop once (b) has ended.
  await waitForState(site.page, (st) => st.exercise.active?.rows >= 1, { what: '(b) to end', timeout: 300_000 });
  await site.page.click('#btn-exercise-stop');
  let s = await ended();
  const kept = s.exercise.kept.second;
  assert.equal(kept.complete, false);
  assert.ok(kept.rows.length >= 1 && kept.rows.length < 7, JSON.stringify(kept.rows.map((r) => r.row)));
  assert.match(s.exercise.failure.message, /stopped/);
  const done = kept.rows.length;
  await site.page.reload();
  await waitForReady(site.page);
  await site.page.selectOption('#exercise-edition', 'second');
  await site.page.selectOption('#exercise-length', 'quick');
  await site.page.click('#btn-exercise-resume');
  await waitForState(site.page, (st) => st.exercise.active, { what: 'the exercise to resume' });
  s = await ended();
  const rows = s.exercise.kept.second.rows;
  assert.deepEqual(rows.map((r) => r.row), ROWS);
  assert.deepEqual(rows.slice(0, done), kept.rows, 'the kept rows stay as they were');
  // The ended parts keep their runs; the others got new ones.
  const runIds = s.exercise.kept.second.runIds;
  for (const r of kept.rows.filter((x) => !x.row.startsWith('mc'))) assert.equal(runIds[r.row], kept.runIds[r.row], `(${r.row}) keeps its run`);
  assert.ok(s.runs.some((r) => r.id === runIds.f), 'the resumed (f) is a run of the page');
});
