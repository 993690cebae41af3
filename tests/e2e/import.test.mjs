// Strict run-file import (read by the crate in the worker: crate/src/run_file): a real run is
// trained and exported, then damaged copies of its file (the faults a hand edit, a cut-off
// download or a crafted file bring) are imported. Each is
// refused with a message naming the file and the field, nothing of it is stored, and the page
// keeps working: the other runs still list and render, and the good file still imports, with
// weights that load into the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { syntheticDataset, waitForState, waitForReady, fillForm, state, useSite } from './helpers.mjs';

const site = useSite({ prepare: () => syntheticDataset('e2e'), path: '?data=e2e' });

const b64 = (bytes) => Buffer.from(bytes).toString('base64');

/** The file's safetensors weights with `edit(header)` applied to its JSON header (same length or padded). */
function editHeader(weightsB64, edit) {
  const bytes = Buffer.from(weightsB64, 'base64');
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  edit(header);
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const out = Buffer.alloc(8 + text.length + bytes.length - 8 - n);
  out.writeBigUInt64LE(BigInt(text.length), 0);
  out.write(text, 8, 'utf8');
  bytes.copy(out, 8 + text.length, 8 + n);
  return b64(out);
}

/** SNW1 (the older layout) declaring one tensor of `dims`, and nothing after them. */
function snw1(dims) {
  const out = Buffer.alloc(12 + 4 * dims.length);
  out.write('SNW1', 0, 'latin1');
  out.writeUInt32LE(1, 4);
  out.writeUInt32LE(dims.length, 8);
  dims.forEach((d, i) => out.writeUInt32LE(d, 12 + 4 * i));
  return b64(out);
}

/** [file name, `{file}`: damage to the parsed file or `{text}`: to its text, the message expected]. */
const MALFORMED = [
  ['name-object.json', { file: (f) => { f.run.name = { first: 'elu' }; } }, /name-object\.json: run\.name is not what a run file holds \(invalid type: map, expected a string\)/],
  ['null-epoch.json', { file: (f) => { f.run.history.epochs[0] = null; } }, /null-epoch\.json: run\.history\.epochs\[0\] is not what a run file holds \(invalid type: null/],
  ['string-step.json', { file: (f) => { f.run.history.steps[1] = 'fast'; } }, /run\.history\.steps\[1\] is not what a run file holds \(invalid type: string/],
  ['null-loss-field.json', { file: (f) => { f.run.history.epochs[0].val_accuracy = null; } }, /run\.history\.epochs\[0\]\.val_accuracy is not what a run file holds \(invalid type: null, expected f64\)/],
  ['out-of-range.json', { file: (f) => { f.run.history.epochs[0].val_accuracy = 7; } }, /val_accuracy must be in \[0, 1\] \(got 7\)/],
  ['probe-shape.json', { file: (f) => { f.run.history.probes[0].stats.dead.push(0.5); } }, /run\.history\.probes\[0\]\.stats\.dead must have \d+ elements/],
  ['histogram-counts.json', { file: (f) => { const h = f.run.history.probes[0].stats.histograms; h.counts = h.counts.slice(0, -8); } }, /run\.history\.probes\[0\]\.stats\.histograms is not what a run file holds \(counts must be the base64 of rows of 32 16-bit counts\)/],
  ['probe-element.json', { file: (f) => { f.run.history.probes[0].stats.grad_norm[0] = 'large'; } }, /stats\.grad_norm\[0\] is not what a run file holds \(invalid type: string/],
  ['huge-array.json', { file: (f) => { f.run.history.steps = new Array(2_000_001).fill(0); } }, /run\.history\.steps\[0\] is not what a run file holds/],
  ['long-name.json', { file: (f) => { f.run.name = 'x'.repeat(5000); } }, /run\.name must be 1–200 characters long \(got 5000\)/],
  ['bad-status.json', { file: (f) => { f.run.status = 'excellent'; } }, /run\.status is not what a run file holds \(unknown variant `excellent`/],
  ['no-history.json', { file: (f) => { delete f.run.history; } }, /run is not what a run file holds \(missing field `history`\)/],
  ['proto-key.json', { text: (text) => text.replace('"run":{', '"run":{"__proto__":{"polluted":true},') }, /proto-key\.json: run\.__proto__ is a key a run file never has/],
  ['truncated-base64.json', { file: (f) => { f.weights.bytes = f.weights.bytes.slice(0, -3); } }, /weights\.bytes is not valid base64/],
  ['huge-dims.json', { file: (f) => { f.weights.bytes = editHeader(f.weights.bytes, (h) => { h['hidden.0.kernel'].shape = [2 ** 32, 2 ** 32]; }); } }, /weights \(safetensors\) are not a readable safetensors file \(invalid JSON in header: invalid value: integer `4294967296`/],
  ['negative-dims.json', { file: (f) => { f.weights.bytes = editHeader(f.weights.bytes, (h) => { h['output.bias'].shape = [-4]; }); } }, /weights \(safetensors\) are not a readable safetensors file \(invalid JSON in header: invalid value: integer `-4`/],
  ['wrong-offsets.json', { file: (f) => { f.weights.bytes = editHeader(f.weights.bytes, (h) => { h['output.bias'].data_offsets[1] += 4; }); } }, /weights \(safetensors\) are not a readable safetensors file/],
  ['snw1-huge-dims.json', { file: (f) => { f.weights = { encoding: 'base64', format: 'SNW1', bytes: snw1([0xffffffff, 0xffffffff]) }; } }, /weights \(SNW1\) give tensor 0 the dimensions \[4294967295, 4294967295\], more than the file holds/],
  ['not-json.json', { text: (text) => text.slice(0, 1000) }, /not-json\.json is not a selfnorm run file \(not JSON/],
];

let exported = null;
let trained = null;

test('a trained run exports to a file that imports back', async () => {
  await waitForReady(site.page);
  await fillForm(site.page, { depth: 4, width: 32, epochs: 2, 'probe-every': 3 });
  await site.page.click('#btn-train');
  const s = await waitForState(site.page, (st) => st.run?.status === 'finished' && st.run.hasWeights && st.phase === 'idle', { what: 'the run', timeout: 90_000 });
  trained = s.run;
  const [download] = await Promise.all([
    site.page.waitForEvent('download'),
    site.page.locator(`#runs-table tr[data-run-id="${trained.id}"] [data-action="export"]`).click(),
  ]);
  exported = await readFile(await download.path(), 'utf8');
  const file = JSON.parse(exported);
  assert.equal(file.weights.format, 'safetensors');
  const weights = Buffer.from(file.weights.bytes, 'base64');
  const header = JSON.parse(weights.subarray(8, 8 + Number(weights.readBigUInt64LE(0))).toString('utf8'));
  assert.deepEqual(header['hidden.0.kernel'].shape, [3072, 32], 'kernels are named by layer, [inputs, units]');
  assert.equal(JSON.parse(header.__metadata__['selfnorm.model']).depth, 4);
});

test('each malformed run file is refused with its file and field named, and nothing breaks', async () => {
  assert.ok(exported, 'the first test exported a run');
  const before = await state(site.page);
  for (const [name, damage, message] of MALFORMED) {
    let text;
    if (damage.text) text = damage.text(exported);
    else {
      const file = JSON.parse(exported);
      damage.file(file);
      text = JSON.stringify(file);
    }
    await site.page.setInputFiles('#import-file', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
    const s = await waitForState(site.page, (st, n) => st.errors.some((e) => e.message.includes(n)), { arg: name, what: `the answer to ${name}` });
    const last = s.errors.find((e) => e.message.includes(name));
    assert.match(last.message, /^Import failed: /, name);
    assert.match(last.message, message, name);
    assert.equal(s.runs.length, before.runs.length, `${name} adds no run`);
  }
  assert.equal(await site.page.evaluate(() => ({}).polluted), undefined, 'no prototype was touched');

  // The page still works: the table lists the trained run, its curves and results render.
  await site.page.locator(`#runs-table tr[data-run-id="${trained.id}"]`).click();
  const s = await waitForState(site.page, (st, id) => st.viewRunId === id, { arg: trained.id, what: 'the trained run on view' });
  assert.equal(s.runs.length, before.runs.length);
  assert.match(await site.page.locator(`#runs-table tr[data-run-id="${trained.id}"]`).innerText(), /finished/);
  assert.match(await site.page.locator('#results').innerText(), /Finished/);
  await site.page.locator('#curves-loss .u-legend').waitFor({ timeout: 5000 });
  assert.deepEqual(site.browser.problems, [], 'no page or console errors');

  // A reload finds the same runs: none of the bad files was stored.
  await site.page.reload();
  const after = await waitForReady(site.page);
  assert.deepEqual(after.runs.map((r) => r.id), before.runs.map((r) => r.id));
});

test('a file recorded before histograms and update ratios existed still imports', async () => {
  const before = await state(site.page);
  const file = JSON.parse(exported);
  assert.ok(file.run.history.probes.every((p) => typeof p.stats.histograms.counts === 'string'), 'histograms travel packed');
  for (const probe of file.run.history.probes) {
    delete probe.stats.histograms;
    delete probe.stats.update_ratio;
  }
  await site.page.setInputFiles('#import-file', { name: 'older.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  const s = await waitForState(site.page, (st, n) => st.runs.length === n + 1, { arg: before.runs.length, what: 'the older file to import' });
  assert.equal(s.runs.at(-1).probes, file.run.history.probes.length);
  assert.equal(s.errors.filter((e) => e.message.includes('older.json')).length, 0);
});

test('the good file still imports, keeps its history, and its weights load into the worker', async () => {
  const before = await state(site.page);
  await site.page.setInputFiles('#import-file', { name: 'good.json', mimeType: 'application/json', buffer: Buffer.from(exported) });
  const s = await waitForState(site.page, (st, n) => st.runs.length === n + 1 && st.runs.at(-1).hasWeights, { arg: before.runs.length, what: 'the import' });
  const imported = s.runs.at(-1);
  assert.equal(imported.imported, true);
  const original = JSON.parse(exported).run;
  assert.equal(imported.epochs, original.history.epochs.length);
  assert.equal(imported.steps, original.history.steps.length);
  assert.equal(imported.probes, original.history.probes.length);
  await site.page.locator(`#runs-table tr[data-run-id="${imported.id}"] [data-action="load"]`).click();
  const loaded = await waitForState(site.page, (st, id) => st.loadedRunId === id && st.phase === 'idle', { arg: imported.id, what: 'the imported weights to load' });
  assert.equal(loaded.errors.filter((e) => !/^Import failed/.test(e.message)).length, 0, 'the weights loaded without an error');
  assert.deepEqual(site.browser.problems, []);
});
