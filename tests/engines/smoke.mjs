// The smoke suite every engine besides Chromium runs (Chromium runs the whole e2e suite): the page
// starts (under the default locale and, where the engine takes it from the system, a "C" one),
// makes the dataset from the official archive by itself, trains an epoch with probes, keeps the
// run and the dataset over a reload, and refuses a damaged run file without storing anything.
// Without the archive it trains on a synthetic dataset in the shard format instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from '../../scripts/static-server.mjs';
import { repoRoot, syntheticDataset } from '../e2e/helpers.mjs';
import { waitFor } from './drivers.mjs';

const ARCHIVE = process.env.SELFNORM_CIFAR10_ARCHIVE || resolve(repoRoot, '../shared/data/cifar-10-binary.tar.gz');

/** Whether the page has started (or failed to), and what it shows. */
const started = () => {
  const failure = document.getElementById('start-failure');
  const done = document.documentElement.dataset.started;
  if (done !== 'true' && done !== 'failed') return null;
  return { started: done, failure: failure && !failure.hidden ? failure.innerText : null, locale: navigator.language, pinned: document.documentElement.dataset.pinnedLocale ?? null, backend: window.selfnorm?.state.backend.status ?? null };
};

const ready = () => {
  const s = window.selfnorm?.state;
  return s && s.backend.status === 'ready' && s.phase === 'idle' && s.data.status === 'complete' && s.data.readyToTrain
    && s.data.loaded.every((n, i) => n === s.data.expected[i]) && s;
};

/** Sets run-form fields by element id, as typing would. */
const fill = (fields) => {
  for (const [id, value] of Object.entries(fields)) {
    const el = document.getElementById(id);
    el.value = String(value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }
  return true;
};

/**
 * Registers the suite for `engine` (`open(options)` gives a driver, see drivers.mjs); `cLocale`:
 * the environment under which the engine reports navigator.language = "C".
 */
export function smokeSuite(engine, open, { cLocale = null } = {}) {
  const archive = existsSync(ARCHIVE);
  const site = {};
  before(async () => {
    let dataDir = join(repoRoot, 'data');
    if (archive) {
      // A host with the archive only, as scripts/serve gives: the page must make the dataset.
      site.dataDir = mkdtempSync(join(tmpdir(), 'selfnorm-smoke-data-'));
      symlinkSync(ARCHIVE, join(site.dataDir, 'cifar-10-binary.tar.gz'));
      dataDir = site.dataDir;
    } else {
      syntheticDataset('e2e');
    }
    site.server = await serve(repoRoot, 0, '127.0.0.1', { data: dataDir });
    site.url = `http://127.0.0.1:${site.server.address().port}/${archive ? '' : '?data=e2e'}`;
    site.driver = await open();
  });
  after(async () => {
    await site.driver?.close();
    site.server?.close();
    if (site.dataDir) rmSync(site.dataDir, { recursive: true, force: true });
  });

  test(`${engine}: the page starts under the default locale`, async () => {
    await site.driver.goto(site.url);
    site.openedAt = Date.now();
    const s = await waitFor(site.driver, started, { what: 'the start' });
    assert.equal(s.failure, null, `no start failure (${s.failure})`);
    assert.equal(s.started, 'true');
    assert.equal(s.pinned, null, `the default locale is a valid tag (${s.locale})`);
  });

  if (cLocale) {
    test(`${engine}: the page starts under a "C" locale`, async () => {
      const driver = await open({ env: cLocale });
      try {
        await driver.goto(site.url);
        const s = await waitFor(driver, started, { what: 'the start under a C locale' });
        assert.equal(s.failure, null, `no start failure (${s.failure})`);
        assert.equal(s.pinned, 'C', 'the engine reported navigator.language "C" (else this test tests nothing)');
        assert.equal(s.started, 'true');
        await waitFor(driver, () => window.selfnorm.state.backend.status === 'ready', { what: 'the worker under a C locale' });
      } finally {
        await driver.close();
      }
    });
  }

  test(`${engine}: the dataset ${archive ? 'is made from the archive by itself' : '(synthetic) loads'}`, { timeout: 300_000 }, async () => {
    const s = await waitFor(site.driver, ready, { timeout: 240_000, what: 'a ready dataset' });
    if (archive) {
      assert.equal(s.conversion?.status, 'done', 'made in the page from the archive');
      assert.deepEqual(s.data.expected, [45_000, 5_000, 10_000]);
      console.log(`# ${engine}: dataset made from the archive in ${s.conversion.seconds.toFixed(1)} s; ready to train ${((Date.now() - site.openedAt) / 1000).toFixed(1)} s after the page was opened`);
    }
    assert.deepEqual(s.errors, []);
  });

  test(`${engine}: one epoch trains, with probes`, { timeout: 300_000 }, async () => {
    await site.driver.evaluate(fill, { depth: 2, width: 16, epochs: 1, 'max-records': 2000, 'probe-every': 10, patience: 5 });
    await site.driver.evaluate(() => document.getElementById('btn-train').click());
    const s = await waitFor(site.driver, () => {
      const st = window.selfnorm.state;
      return st.runs.some((r) => r.status === 'finished') && st.phase === 'idle' && st;
    }, { timeout: 240_000, what: 'the run to finish' });
    const run = s.runs.find((r) => r.status === 'finished');
    assert.equal(run.epochs, 1);
    assert.ok(run.probes >= 3, `probes during the epoch (${run.probes})`);
    assert.ok(run.valAccuracy > 0.1, `better than chance on the validation set (${run.valAccuracy})`);
    site.runId = run.id;
  });

  test(`${engine}: a reload keeps the run and the dataset`, { timeout: 300_000 }, async () => {
    await site.driver.reload();
    const s = await waitFor(site.driver, ready, { timeout: 120_000, what: 'the dataset after a reload' });
    assert.ok(s.runs.some((r) => r.id === site.runId && r.status === 'finished' && r.epochs === 1), 'the run is still there');
    assert.equal(s.data.fromCache, s.data.files, 'every file came from the browser\'s copy');
    if (archive) assert.equal(s.conversion, null, 'no second conversion');
  });

  test(`${engine}: a damaged run file is refused, and nothing is stored`, async () => {
    const before = await site.driver.evaluate(() => window.selfnorm.state.runs.length);
    await site.driver.evaluate(() => {
      const input = document.getElementById('import-file');
      const transfer = new DataTransfer();
      transfer.items.add(new File(['{"format": "selfnorm-run", "version": 1, "runs": [{"id": 7}]'], 'damaged-run.json', { type: 'application/json' }));
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
      return true;
    });
    const s = await waitFor(site.driver, () => {
      const st = window.selfnorm.state;
      return st.errors.some((e) => /damaged-run\.json/.test(e.message)) && st;
    }, { what: 'the refusal' });
    assert.match(s.errors.find((e) => /damaged-run\.json/.test(e.message)).message, /damaged-run\.json.*(JSON|valid)/);
    assert.equal(s.runs.length, before, 'nothing stored');
    assert.equal(s.phase, 'idle');
  });
}
