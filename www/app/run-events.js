// A run's record grows by the events of the Rust state machine (crate/src/train/run.rs), applied
// here in the order they come: the page's history is the trainer's, event by event, with no
// second copy to reconcile.
import { compactProbe } from '../io/histograms.js';

/** Applies a training event to `run`; returns what the caller has to do next, if anything. */
export function applyTrainEvent(run, event) {
  switch (event.kind) {
    case 'probed':
      run.history.probes.push(compactProbe(event.probe));
      return 'save-soon';
    case 'stepped': {
      const p = event.progress;
      run.progress = p;
      run.history.steps.push({ step: p.step, epoch: p.epoch, loss: p.loss });
      return 'save-soon';
    }
    case 'epoch-ended': {
      const { record, best_epoch, best_val_loss, patience_left, finished } = event.summary;
      run.history.epochs.push(record);
      run.history.best_epoch = best_epoch;
      run.summary = { best_epoch, best_val_loss, patience_left, finished };
      return 'save-now';
    }
    case 'finished':
      return finish(run, event.report);
    default:
      return null;
  }
}

function finish(run, report) {
  run.history.stop = report.stop;
  run.timings.finished = Date.now();
  run.timings.finishSeconds = report.seconds;
  if (report.stop.kind === 'diverged') {
    run.status = 'diverged';
    run.error = report.stop.message;
    return 'diverged';
  }
  run.status = 'finished';
  run.results = { ...run.results, valid: report.valid, test: report.test };
  return 'finished';
}

/** A run whose training failed (not a divergence): its history stays as the events left it. */
export function failRun(run, message, status = 'failed') {
  run.status = status;
  run.error = message;
  run.timings.finished = Date.now();
}
