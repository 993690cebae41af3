// Builds docs/results/summary.json from the CLI's JSON-lines logs in the given folder, and from
// nothing else: per edition, the exercise's table as its log's last line holds it (accuracies as
// fractions), the commit that built the CLI, and the raw-pixel run of (b).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'docs/results';
const read = (name) => {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : null;
};

const pick = (e) => (e ? { loss: e.loss, accuracy: e.accuracy, passes: e.passes } : null);

function row(r) {
  return {
    row: r.row, variant: r.variant, lr: r.lr, lr_how: r.lr_how, epochs: r.epochs, best_epoch: r.best_epoch,
    val: pick(r.valid), test: pick(r.test), last_epoch_val_accuracy: r.last_epoch_val_accuracy,
    seconds_per_epoch: r.seconds_per_epoch, stop: r.stop, book: r.book,
  };
}

function exercise(edition) {
  const events = read(`exercise-${edition}.jsonl`);
  if (!events) return null;
  const start = events.find((e) => e.event === 'exercise');
  const table = events.find((e) => e.event === 'table');
  // A run still going (or cut short) has its ended parts only.
  const rows = table ? table.rows : events.filter((e) => e.event === 'part').flatMap((e) => e.rows);
  const searches = events.filter((e) => e.event === 'searched').map((e) => ({ part: e.part, best_lr: e.search.best_lr, candidates: e.search.candidates }));
  return { commit: start?.commit ?? null, complete: Boolean(table), rows: rows.map(row), searches };
}

function rawPixels() {
  const events = read('elu-he-raw-pixels.jsonl');
  const run = events?.find((e) => e.event === 'run');
  const end = events?.find((e) => e.event === 'end');
  if (!run || !end) return null;
  return {
    commit: run.commit ?? null, lr: run.train.lr, preprocessing: run.preprocessing, epochs: end.epochs,
    best_epoch: end.best_epoch, val: pick(end.valid), test: pick(end.test), seconds_per_epoch: end.seconds_per_epoch,
  };
}

const summary = { editions: { '2nd': exercise('2nd'), '3rd': exercise('3rd') }, raw_pixels: rawPixels() };
writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
const rows = (e) => e ? `${e.rows.length} rows${e.complete ? '' : ' (incomplete)'}` : 'no log';
console.log(`wrote ${join(dir, 'summary.json')}: 2nd edition ${rows(summary.editions['2nd'])}, 3rd ${rows(summary.editions['3rd'])}`);
