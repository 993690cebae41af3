// Measures the in-page conversion of the CIFAR-10 archive in headless Chromium, as a user makes
// it: the built site (dist/) on a host without data, the archive picked in the Dataset panel.
// Prints, per run, the conversion's own seconds (the page's `conversion.seconds`: from the
// archive worker's start to its last shard and manifest stored) and the peak memory of the
// browser's processes above their level just before the pick (RSS summed over the processes of
// this run's browser profile, sampled every 50 ms).
// Usage: node scripts/lib/measure-conversion.mjs [archive] [runs]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { repoRoot, startServer, openBrowser, waitForState } from '../../tests/e2e/helpers.mjs';

const archive = process.argv[2] ?? resolve(repoRoot, '../shared/data/cifar-10-binary.tar.gz');
const runs = Number(process.argv[3] ?? 3);

const profiles = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('selfnorm-e2e-')));

/** KiB resident in the processes whose command line names the profile folder `profile`. */
function rssKiB(profile) {
  const lines = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => l.includes(profile)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]), 0);
}

for (let run = 1; run <= runs; run++) {
  const { server, url } = await startServer({ data: false });
  const before = profiles();
  const browser = await openBrowser();
  // Other test runs on this machine have profiles of their own: this run's is the new one.
  const profile = [...profiles()].find((p) => !before.has(p));
  try {
    await browser.page.goto(url);
    await waitForState(browser.page, (s) => s.data.status === 'absent' && s.backend.status === 'ready', { what: 'no dataset', timeout: 90_000 });
    const baseline = rssKiB(profile);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(profile));
    }, 50);
    await browser.page.setInputFiles('[data-testid="archive-input"]', [archive]);
    const s = await waitForState(browser.page, (st) => ['done', 'error'].includes(st.conversion?.status), { what: 'the conversion', timeout: 300_000 });
    clearInterval(sampler);
    if (s.conversion.status !== 'done') throw new Error(JSON.stringify(s.conversion.error));
    console.log(JSON.stringify({ run, seconds: Number(s.conversion.seconds.toFixed(2)), peak_mib_above_start: Math.round((peak - baseline) / 1024), start_mib: Math.round(baseline / 1024) }));
  } finally {
    await browser.close();
    server.close();
  }
}
