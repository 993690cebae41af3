// Builds docs/results/summary.json from the CLI's JSON-lines logs in the given folder: one object
// per variant with the fields RESULTS.md's table uses (accuracies as fractions).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'docs/results';
const read = (name) => {
  const path = join(dir, `${name}.jsonl`);
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : null;
};

function summarize(name, events) {
  const run = events.find((e) => e.event === 'run');
  const end = events.find((e) => e.event === 'end');
  if (!run || !end) return null;
  const epochs = events.filter((e) => e.event === 'epoch').map((e) => e.record);
  const best = epochs[end.best_epoch - 1];
  // Géron's 1cycle figure is the last of 15 epochs (no early stopping): keep both bases.
  const last = epochs.at(-1);
  return {
    variant: name,
    lr: run.train.lr,
    batch_size: run.train.batch_size,
    epochs: end.epochs,
    best_epoch: end.best_epoch,
    val_loss: end.valid.loss,
    val_accuracy: end.valid.accuracy,
    best_epoch_val_accuracy: best?.val_accuracy ?? null,
    last_epoch_val_loss: last?.val_loss ?? null,
    last_epoch_val_accuracy: last?.val_accuracy ?? null,
    test_accuracy: end.test.accuracy,
    test_loss: end.test.loss,
    seconds_per_epoch: end.seconds_per_epoch,
    train_samples_per_s: end.train_samples_per_s,
    stop: end.stop,
  };
}

const summary = [];
for (const name of ['elu-he', 'elu-he-bn', 'selu-lecun', 'selu-alpha-dropout', 'one-cycle']) {
  const events = read(name);
  const row = events && summarize(name, events);
  if (!row) continue;
  summary.push(row);
  const end = events.find((e) => e.event === 'end');
  for (const mc of end.mc_dropout ?? []) {
    summary.push({
      ...row,
      variant: `mc-dropout-${mc.samples}`,
      val_loss: mc.valid.loss,
      val_accuracy: mc.valid.accuracy,
      test_accuracy: mc.test.accuracy,
      test_loss: mc.test.loss,
      inference_seconds_valid: mc.valid.seconds,
      plain_inference_seconds_valid: end.valid.seconds,
    });
  }
}
writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(`wrote ${join(dir, 'summary.json')}: ${summary.map((r) => r.variant).join(', ')}`);
