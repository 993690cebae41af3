// Prints docs/RESULTS.md's tables from docs/results/summary.json (itself made from the logs), so
// that every figure in them is rounded once, from the logged value.
import { readFileSync } from 'node:fs';

const summary = JSON.parse(readFileSync(process.argv[2] ?? 'docs/results/summary.json', 'utf8'));
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '—');
const num = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const lr = (x) => (x >= 0.01 ? x.toFixed(3) : x.toExponential(0).replace('e-', 'e-'));
const HOW = { search: 'search', 'lr-finder': 'LR finder', same: '—' };
const NAMES = { b: '(b)', c: '(c)', d: '(d)', e: '(e)', mc10: '(e) MC Dropout, 10 passes', mc100: '(e) MC Dropout, 100 passes', f: '(f) 1cycle' };

function table(edition, data) {
  const lines = [
    `### ${edition} edition (CLI of commit \`${data.commit}\`${data.complete ? '' : ', incomplete'})`,
    '',
    '| row | variant | LR (how) | epochs / best | best val loss | val acc | test acc | last-epoch val acc | s/epoch | book val acc | Δ |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of data.rows) {
    const book = r.book?.val_accuracy;
    const printed = r.book?.printed ? ` (printed ${pct(r.book.printed)})` : '';
    const delta = Number.isFinite(book) && r.val ? (100 * (r.val.accuracy - book)).toFixed(1) : '—';
    const mc = r.lr_how === 'same';
    lines.push(`| ${NAMES[r.row]} | \`${r.variant}\` | ${mc ? '—' : `${lr(r.lr)} (${HOW[r.lr_how]})`} | ${mc ? '—' : `${r.epochs} / ${r.best_epoch}`} | ${num(r.val?.loss, 4)} | **${pct(r.val?.accuracy)}** | ${pct(r.test?.accuracy)} | ${r.row === 'f' ? pct(r.last_epoch_val_accuracy) : '—'} | ${mc ? '—' : num(r.seconds_per_epoch, 1)} | ${Number.isFinite(book) ? pct(book) : '—'}${printed} | ${delta} |`);
  }
  return lines.join('\n');
}

for (const [edition, data] of Object.entries(summary.editions)) {
  if (data) console.log(`${table(edition, data)}\n`);
}
const raw = summary.raw_pixels;
if (raw) console.log(`Raw pixels (2nd edition (b), lr ${lr(raw.lr)}, commit \`${raw.commit}\`): ${raw.epochs} epochs, best ${raw.best_epoch}, best val loss ${num(raw.val.loss, 4)}, val ${pct(raw.val.accuracy)}, test ${pct(raw.test.accuracy)}, ${num(raw.seconds_per_epoch, 1)} s/epoch.`);
