// The two engines besides Chromium, from Debian's packages, each behind the same small driver:
// `goto(url)`, `evaluate(fn, arg)` (fn runs in the page, may be async; arg and result are JSON),
// `reload()`, `close()`. Firefox ESR through puppeteer-core over WebDriver BiDi; WebKitGTK's
// MiniBrowser through WebKitWebDriver (W3C WebDriver over HTTP, a few commands, no client
// library), under Xvfb. Neither downloads a browser.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export async function openFirefox({ env = {} } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'selfnorm-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profile,
    env: { ...process.env, ...env },
  });
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return {
    name: 'firefox',
    problems,
    goto: (url) => page.goto(url, { waitUntil: 'load' }),
    evaluate: (fn, arg = null) => page.evaluate(fn, arg),
    reload: () => page.reload({ waitUntil: 'load' }),
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A W3C WebDriver command; resolves with its value or rejects with the driver's message. */
async function command(base, method, path, body) {
  const response = await fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const { value } = await response.json();
  if (!response.ok || value?.error) throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
  return value;
}

/** WebKitGTK's MiniBrowser; `env` (e.g. LANG) reaches the browser through its driver. Needs a display (xvfb-run). */
export async function openWebKit({ env = {} } = {}) {
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
  const base = `http://127.0.0.1:${port}`;
  let session = null;
  for (let tries = 0; !session; tries++) {
    try {
      session = await command(base, 'POST', '/session', {
        capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } } },
      });
    } catch (error) {
      if (tries > 50) {
        driver.kill();
        throw new Error(`WebKitWebDriver did not start a session: ${error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const at = `/session/${session.sessionId}`;
  await command(base, 'POST', `${at}/timeouts`, { script: 600_000, pageLoad: 120_000 });
  return {
    name: 'webkit',
    problems: [],
    goto: (url) => command(base, 'POST', `${at}/url`, { url }),
    async evaluate(fn, arg = null) {
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${fn})(arguments[0])).then(
          (value) => done({ value: value === undefined ? null : value }),
          (error) => done({ error: String(error && error.stack || error) }));`;
      const result = await command(base, 'POST', `${at}/execute/async`, { script, args: [arg] });
      if (result?.error) throw new Error(`in the page: ${result.error}`);
      return result?.value ?? null;
    },
    reload: () => command(base, 'POST', `${at}/refresh`, {}),
    async close() {
      await command(base, 'DELETE', at).catch(() => {});
      driver.kill();
    },
  };
}

/** Polls `fn(arg)` in the page until it returns a truthy value, which it resolves with. */
export async function waitFor(driver, fn, { arg = null, timeout = 60_000, what = 'the page' } = {}) {
  const end = Date.now() + timeout;
  let last = null;
  for (;;) {
    try {
      last = await driver.evaluate(fn, arg);
      if (last) return last;
    } catch (error) {
      // The page may be between two documents (a reload); try again.
      last = error.message;
    }
    if (Date.now() > end) {
      const state = await driver.evaluate(() => JSON.stringify(window.selfnorm?.state ?? null)).catch((e) => e.message);
      throw new Error(`${driver.name}: timed out after ${timeout / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})\nstate: ${String(state).slice(0, 2500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
