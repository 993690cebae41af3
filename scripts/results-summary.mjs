// Builds docs/results/summary.json from the CLI's JSON-lines logs in the given folder, and from
// nothing else: per edition, the exercise's table as its log's last line holds it (accuracies as
// fractions), the commit that built the CLI, the LR searches, how much each part's validation
// accuracy moved from epoch to epoch; the raw-pixel run of (b) and the runs of other seeds.
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'docs/results';
const read = (name) => {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : null;
};

const pick = (e) => (e ? { loss: e.loss, accuracy: e.accuracy, passes: e.passes, seconds: e.seconds } : null);

function row(r) {
  return {
    row: r.row, variant: r.variant, lr: r.lr, lr_how: r.lr_how, epochs: r.epochs, best_epoch: r.best_epoch,
    val: pick(r.valid), test: pick(r.test), last_epoch_val_accuracy: r.last_epoch_val_accuracy,
    seconds_per_epoch: r.seconds_per_epoch, stop: r.stop, book: r.book,
  };
}

/** Mean absolute change of the validation accuracy from one epoch to the next, per part. */
function epochSpread(events) {
  const acc = {};
  for (const e of events) {
    if (e.event !== 'trained' || e.train_event.kind !== 'epoch-ended') continue;
    (acc[e.part] ??= []).push(e.train_event.summary.record.val_accuracy);
  }
  return Object.fromEntries(Object.entries(acc).map(([part, a]) => {
    const steps = a.slice(1).map((x, i) => Math.abs(x - a[i]));
    return [part, steps.length ? steps.reduce((x, y) => x + y, 0) / steps.length : null];
  }));
}

function exercise(edition) {
  const events = read(`exercise-${edition}.jsonl`);
  if (!events) return null;
  const start = events.find((e) => e.event === 'exercise');
  const table = events.find((e) => e.event === 'table');
  // A run still going (or cut short) has its ended parts only.
  const rows = table ? table.rows : events.filter((e) => e.event === 'part').flatMap((e) => e.rows);
  const searches = events.filter((e) => e.event === 'searched').map((e) => ({ part: e.part, best_lr: e.search.best_lr, candidates: e.search.candidates }));
  const spread = epochSpread(events);
  const withSpread = rows.map(row).map((r) => ({ ...r, val_accuracy_epoch_change: r.lr_how === 'same' ? null : spread[r.row] ?? null }));
  return { commit: start?.commit ?? null, complete: Boolean(table), rows: withSpread, searches };
}

/** A `selfnorm train` log: its settings and how it ended, or null while it runs. */
function trainRun(name) {
  const events = read(name);
  const run = events?.find((e) => e.event === 'run');
  const end = events?.find((e) => e.event === 'end');
  if (!run || !end) return null;
  return {
    commit: run.commit ?? null, lr: run.train.lr, preprocessing: run.preprocessing, epochs: end.epochs,
    best_epoch: end.best_epoch, val: pick(end.valid), test: pick(end.test), seconds_per_epoch: end.seconds_per_epoch,
    seed: run.train.seed, variant: end.variant,
  };
}

/** `seed-<edition>-<part>-<variant>-<seed>.jsonl`: a part of the exercise again, at its searched rate and another seed. */
function seeds() {
  return readdirSync(dir).map((f) => f.match(/^seed-(2nd|3rd)-([b-f])-(.+)-(\d+)\.jsonl$/)).filter(Boolean)
    .map(([name, edition, part]) => ({ edition, part, ...trainRun(name) }))
    .filter((r) => r.val)
    .sort((a, b) => a.edition.localeCompare(b.edition) || a.part.localeCompare(b.part) || a.seed - b.seed);
}

const summary = { editions: { '2nd': exercise('2nd'), '3rd': exercise('3rd') }, raw_pixels: trainRun('elu-he-raw-pixels.jsonl'), seeds: seeds() };
writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
const rows = (e) => e ? `${e.rows.length} rows${e.complete ? '' : ' (incomplete)'}` : 'no log';
console.log(`wrote ${join(dir, 'summary.json')}: 2nd edition ${rows(summary.editions['2nd'])}, 3rd ${rows(summary.editions['3rd'])}`);
