// Shared set-up for the end-to-end tests: test datasets (made with the selfnorm CLI), the static
// server serving the built site (dist/), and headless Chromium (the system's, never a downloaded
// one).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/static-server.mjs';

export const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
export const outputDir = join(repoRoot, 'tests/output');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEWPORT = { width: 1440, height: 1000 };

/** The selfnorm CLI: the release build, else the debug one, else built now (release). */
export function cli() {
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/selfnorm/target');
  for (const profile of ['release', 'debug']) {
    const bin = join(target, profile, 'selfnorm');
    if (existsSync(bin)) return bin;
  }
  execFileSync('cargo', ['build', '--release', '--bin', 'selfnorm'], { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: target } });
  return join(target, 'release', 'selfnorm');
}

/**
 * data/<name>: a synthetic dataset in the shard format, made once (atomically, so test files
 * running side by side do not trip over each other). Returns its folder.
 */
export function syntheticDataset(name, { train = 600, valid = 200, test = 200, shardRecords = 200, seed = 0 } = {}) {
  const dir = join(repoRoot, 'data', name);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  const scratch = mkdtempSync(join(repoRoot, 'data', `.${name}-`));
  execFileSync(cli(), ['synth-data', '--out', scratch, '--train', train, '--valid', valid, '--test', test,
    '--shape', '3,32,32', '--shard-records', shardRecords, '--seed', seed].map(String), { stdio: 'pipe' });
  // Test data is generated, never committed (copies made by damagedCopy inherit this).
  writeFileSync(join(scratch, '.gitignore'), '*\n');
  try {
    renameSync(scratch, dir);
  } catch {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dir;
}

/** A copy of data/<from> as data/<name> with `damage(dir, manifest)` applied to it. */
export function damagedCopy(from, name, damage) {
  const source = syntheticDataset(from);
  const dir = join(repoRoot, 'data', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(source, dir, { recursive: true });
  damage(dir, JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  return dir;
}

/** Flips one byte of `file` in `dir`. */
export function flipByte(dir, file, offset = 1000) {
  const path = join(dir, file);
  const bytes = readFileSync(path);
  bytes[offset] ^= 0xff;
  writeFileSync(path, bytes);
}

/**
 * Serves the built site (dist/, from scripts/build-site) and data/ like a plain static host: by
 * default without the site's _headers, so cross-origin isolation comes from its service worker.
 */
export async function startServer(options = {}) {
  const server = await serve(repoRoot, 0, '127.0.0.1', { headers: false, ...options });
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** A fresh browser profile: `{context, page, close}`; `persistent` keeps IndexedDB and the cache across reloads. */
export async function openBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'selfnorm-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    acceptDownloads: true,
    // Without smooth scrolling: a click computed while the page still glides to where Playwright
    // scrolled it lands beside its target (seen: a Train click on <body>, the page idle).
    reducedMotion: 'reduce',
  });
  // Where the last clicks landed (target and point), for a wait that times out after a click.
  await context.addInitScript(() => {
    window.clicksSeen = [];
    addEventListener('click', (e) => {
      window.clicksSeen = [...window.clicksSeen.slice(-4), `${e.target.id || e.target.tagName.toLowerCase()} at ${Math.round(e.clientX)},${Math.round(e.clientY)}`];
    }, true);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The set-up every e2e file shares: before its tests, `prepare()` (test data), the static server
 * and a fresh browser, opened at `path` when given; after them, both closed. Returns the object
 * the hook fills in: `{url, server, browser, page}`. With `skip`, nothing starts.
 */
export function useSite({ prepare = () => {}, path = null, skip = false } = {}) {
  const site = {};
  let server;
  before(async () => {
    if (skip) return;
    prepare();
    ({ server, url: site.url } = await startServer());
    site.server = server;
    site.browser = await openBrowser();
    site.page = site.browser.page;
    if (path !== null) await site.page.goto(`${site.url}${path}`);
  });
  after(async () => {
    await site.browser?.close();
    server?.close();
  });
  return site;
}

/** Waits until `predicate(window.selfnorm.state, arg)` is true; the message says what was awaited. */
export async function waitForState(page, predicate, { timeout = 30_000, arg = null, what = 'the page' } = {}) {
  try {
    await page.waitForFunction(
      ([source, a]) => {
        const state = window.selfnorm?.state;
        // eslint-disable-next-line no-new-func
        return state ? new Function('state', 'arg', `return (${source})(state, arg);`)(state, a) : false;
      },
      [predicate.toString(), arg],
      { timeout, polling: 100 },
    );
  } catch (error) {
    const state = await page.evaluate(() => window.selfnorm?.state).catch(() => null);
    // What the action bar said: a click that did nothing says why there.
    const bar = await page.evaluate(() => ['controls-status', 'config-error'].map((id) => document.querySelector(`[data-testid="${id}"], #${id}`)?.textContent ?? '').join(' | ')
      + ` | last clicks: ${(window.clicksSeen ?? []).join('; ') || 'none'} | scrollY ${Math.round(scrollY)}`).catch(() => null);
    throw new Error(`timed out waiting for ${what}: ${error.message.split('\n')[0]}\naction bar: ${bar}\nstate: ${JSON.stringify(state, null, 1)?.slice(0, 3000)}`);
  }
  // The views render on the next animation frame: let them catch up with the state.
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(window.selfnorm.state)))));
}

export const state = (page) => page.evaluate(() => window.selfnorm.state);

/** Waits for a ready worker and a dataset the worker can train on. */
export function waitForReady(page, timeout = 60_000) {
  return waitForState(page, (s) => s.backend.status === 'ready' && s.data.readyToTrain && s.data.status === 'complete' && s.phase === 'idle'
    && s.data.loaded.every((n, i) => n === s.data.expected[i]), { timeout, what: 'the backend and the whole dataset in the worker' });
}

/** Fills the run form with a small model; `fields` maps element ids to values (folded ones are unfolded). */
export async function fillForm(page, fields) {
  for (const [id, value] of Object.entries(fields)) {
    const locator = page.locator(`#${id}`);
    await locator.evaluate((el) => {
      for (let folded = el.closest('details:not([open])'); folded; folded = folded.parentElement?.closest('details:not([open])')) folded.open = true;
    });
    const tag = await locator.evaluate((el) => (el.type === 'checkbox' ? 'checkbox' : el.tagName.toLowerCase()));
    if (tag === 'select') await locator.selectOption(String(value));
    else if (tag === 'checkbox') await locator.setChecked(Boolean(value));
    else await locator.fill(String(value));
  }
}

export function ensureOutputDir() {
  mkdirSync(outputDir, { recursive: true });
  return outputDir;
}
