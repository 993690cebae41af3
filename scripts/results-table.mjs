// Prints docs/RESULTS.md's tables from docs/results/summary.json (itself made from the logs), so
// that every figure in them is rounded once, from the logged value.
import { readFileSync } from 'node:fs';

const summary = JSON.parse(readFileSync(process.argv[2] ?? 'docs/results/summary.json', 'utf8'));
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '—');
const num = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const signed = (x) => (x < 0 ? `−${(-x).toFixed(1)}` : `+${x.toFixed(1)}`);
const lr = (x) => (x >= 0.01 ? x.toFixed(3) : x.toExponential(0));
const HOW = { search: 'search', 'lr-finder': 'LR finder', same: '—' };
const NAMES = { b: '(b)', c: '(c)', d: '(d)', e: '(e)', mc10: '(e) MC Dropout, 10 passes', mc100: '(e) MC Dropout, 100 passes', f: '(f) 1cycle' };

function exerciseTable(edition, data) {
  const lines = [
    `### ${edition} edition (CLI of commit \`${data.commit}\`${data.complete ? '' : ', incomplete'})`,
    '',
    '| row | variant | LR (how) | epochs / best | best val loss | val acc | test acc | last-epoch val acc | epoch-to-epoch val acc change | s/epoch | book val acc | Δ book |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of data.rows) {
    const book = r.book?.val_accuracy;
    const printed = r.book?.printed ? ` (printed ${pct(r.book.printed)})` : '';
    const delta = Number.isFinite(book) && r.val ? signed(100 * (r.val.accuracy - book)) : '—';
    const mc = r.lr_how === 'same';
    const change = Number.isFinite(r.val_accuracy_epoch_change) ? `${(100 * r.val_accuracy_epoch_change).toFixed(1)} pts` : '—';
    lines.push(`| ${NAMES[r.row]} | \`${r.variant}\` | ${mc ? '—' : `${lr(r.lr)} (${HOW[r.lr_how]})`} | ${mc ? '—' : `${r.epochs} / ${r.best_epoch}`} | ${num(r.val?.loss, 4)} | **${pct(r.val?.accuracy)}** | ${pct(r.test?.accuracy)} | ${r.row === 'f' ? pct(r.last_epoch_val_accuracy) : '—'} | ${change} | ${mc ? '—' : num(r.seconds_per_epoch, 1)} | ${Number.isFinite(book) ? pct(book) : '—'}${printed} | ${delta} |`);
  }
  return lines.join('\n');
}

/** Best validation loss (accuracy) within the search's epochs at each rate, one column per part. */
function searchTable(edition, data) {
  const rates = [...new Set(data.searches.flatMap((s) => s.candidates.map((c) => c.lr)))].sort((a, b) => a - b);
  const variant = (part) => data.rows.find((r) => r.row === part)?.variant;
  const lines = [
    `#### LR search, ${edition} edition`,
    '',
    `| LR | ${data.searches.map((s) => `(${s.part}) \`${variant(s.part)}\``).join(' | ')} |`,
    `|---|${data.searches.map(() => '---:').join('|')}|`,
  ];
  for (const rate of rates) {
    const cells = data.searches.map((s) => {
      const c = s.candidates.find((x) => x.lr === rate);
      if (!c) return '—';
      const text = c.error ? `failed: ${c.error}` : `${num(c.best_val_loss, 4)} (${pct(c.best_val_accuracy)})`;
      return rate === s.best_lr ? `**${text}**` : text;
    });
    lines.push(`| ${lr(rate)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** MC Dropout's cost on the validation set: one plain pass against 10 and 100. */
function mcCost(edition, data) {
  const row = (name) => data.rows.find((r) => r.row === name)?.val;
  const [e, m10, m100] = [row('e'), row('mc10'), row('mc100')];
  if (!e?.seconds || !m10 || !m100) return null;
  return `MC Dropout, ${edition} edition, on the 5,000 validation images: ${num(e.seconds, 2)} s for one plain pass, ${num(m10.seconds, 2)} s for 10, ${num(m100.seconds, 2)} s for 100; validation loss ${num(e.loss, 4)} → ${num(m10.loss, 4)} → ${num(m100.loss, 4)}.`;
}

/** The exercise's seed (42) beside the other seeds' runs of the same part at the same rate. */
function seedTable(summaryData) {
  const groups = new Map();
  for (const s of summaryData.seeds ?? []) {
    const key = `${s.edition}/${s.part}`;
    if (!groups.has(key)) {
      const r = summaryData.editions[s.edition]?.rows.find((x) => x.row === s.part);
      groups.set(key, r ? [{ seed: 42, val: r.val, test: r.test, best_epoch: r.best_epoch, epochs: r.epochs, variant: r.variant, lr: r.lr }] : []);
    }
    groups.get(key).push(s);
  }
  if (!groups.size) return null;
  const lines = [
    '| edition, part | variant, LR | seeds | val acc per seed | mean ± sd | test acc per seed | best epochs |',
    '|---|---|---|---|---:|---|---|',
  ];
  for (const [key, runs] of groups) {
    const [edition, part] = key.split('/');
    const accs = runs.map((r) => r.val.accuracy);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    const sd = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, accs.length - 1));
    lines.push(`| ${edition}, (${part}) | \`${runs[0].variant}\`, ${lr(runs[0].lr)} | ${runs.map((r) => r.seed).join(', ')} | ${accs.map(pct).join(', ')} | ${pct(mean)} ± ${(100 * sd).toFixed(1)} | ${runs.map((r) => pct(r.test.accuracy)).join(', ')} | ${runs.map((r) => `${r.best_epoch} of ${r.epochs}`).join(', ')} |`);
  }
  return lines.join('\n');
}

for (const [edition, data] of Object.entries(summary.editions)) {
  if (!data) continue;
  console.log(`${exerciseTable(edition, data)}\n`);
  console.log(`${searchTable(edition, data)}\n`);
  const mc = mcCost(edition, data);
  if (mc) console.log(`${mc}\n`);
}
const raw = summary.raw_pixels;
if (raw) console.log(`Raw pixels (2nd edition (b), lr ${lr(raw.lr)}, commit \`${raw.commit}\`): ${raw.epochs} epochs, best ${raw.best_epoch}, best val loss ${num(raw.val.loss, 4)}, val ${pct(raw.val.accuracy)}, test ${pct(raw.test.accuracy)}, ${num(raw.seconds_per_epoch, 1)} s/epoch.\n`);
const seeds = seedTable(summary);
if (seeds) console.log(seeds);
