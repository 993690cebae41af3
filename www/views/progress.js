// Where the run on view stands: epoch and step, throughput, time per epoch, ETA, early stopping
// (best epoch, patience left) and the current learning rate.
import { h, setText, fmtInt, fmtNumber, fmtDuration, fmtRate, fmtLr, bringIntoView, choiceLabel } from './format.js';

/** Why a run ended, in words (`choices`: `state.choices`, whose labels name the reasons). */
export function stopReasonText(stop, choices) {
  if (!stop) return null;
  const label = choiceLabel(choices, 'stopReason', stop.kind);
  return stop.best_epoch ? `${label} (best epoch ${stop.best_epoch})` : label;
}

/** Which implementation takes the run's steps (the worker says; absent from older runs). */
export function stepText(step) {
  if (step?.kind === 'fused') return ` · fused WebGPU step (${fmtInt(step.dispatches)} dispatches per step)`;
  if (step?.kind === 'generic') return ` · generic step (${step.reason})`;
  return '';
}

const STATUS_TEXT = { running: 'training', paused: 'paused', finished: 'finished', interrupted: 'interrupted', failed: 'failed', diverged: 'diverged' };

export function createProgress(container) {
  const cells = {};
  const tile = (key, label) => {
    cells[key] = h('dd', { 'data-testid': `progress-${key}` });
    return h('div', { class: 'tile' }, h('dt', {}, label), cells[key]);
  };
  const runName = h('span', { class: 'panel-sub', 'data-testid': 'progress-run' });
  const status = h('span', { class: 'status-badge', 'data-testid': 'progress-status' });
  const epochBar = h('progress', { class: 'bar-epoch', max: 1, value: 0, 'aria-label': 'Steps in this epoch' });
  const runBar = h('progress', { class: 'bar-run', max: 1, value: 0, 'aria-label': 'Epochs' });
  cells.epoch = h('span', { class: 'bar-value', 'data-testid': 'progress-epoch' });
  cells.step = h('span', { class: 'bar-value', 'data-testid': 'progress-step' });
  container.append(
    h('div', { class: 'panel-head' }, h('h2', {}, 'Progress'), runName, status),
    h('div', { class: 'progress-bars' },
      h('span', { class: 'bar-label' }, 'Epoch'), cells.epoch, runBar,
      h('span', { class: 'bar-label' }, 'Step in epoch'), cells.step, epochBar),
    h('dl', { class: 'progress-tiles' },
      tile('loss', 'Train loss (last chunk)'),
      tile('speed', 'Throughput'),
      tile('steps', 'Steps in all'),
      tile('epoch-time', 'Time per epoch (mean)'),
      tile('elapsed', 'Training time'),
      tile('eta', 'Time left, at most'),
      tile('best', 'Best epoch (val loss)'),
      tile('patience', 'Patience left'),
      tile('lr', 'Learning rate')),
  );

  let key = '';
  let activeRunId = null;
  return function update(state) {
    const run = state.runs.find((r) => r.id === (state.activeRunId ?? state.viewRunId)) ?? null;
    if (state.activeRunId !== activeRunId) {
      activeRunId = state.activeRunId;
      // A run just started from the top bar: show where it goes (a lesson's runs stay in its panel's view).
      if (run && run.id === activeRunId && !run.lesson) bringIntoView(container);
    }
    const k = run ? `${run.id}|${run.status}|${run.history.steps.length}|${run.history.epochs.length}|${state.phase}|${Boolean(state.choices)}` : 'none';
    if (k === key) return;
    key = k;
    container.dataset.status = run?.status ?? 'none';
    container.classList.toggle('is-empty', !run);
    setText(runName, run ? `${run.name}${run.info ? ` · ${fmtInt(run.info.parameters)} parameters${stepText(run.info.step)}` : ''}` : 'No run yet: press Train, or run a lesson.');
    const reason = stopReasonText(run?.history.stop, state.choices);
    setText(status, run ? `${STATUS_TEXT[run.status] ?? run.status}${run.status === 'finished' && reason ? `: ${reason}` : ''}` : '');
    status.dataset.status = run?.status ?? '';
    if (!run) {
      for (const c of Object.values(cells)) setText(c, '—');
      epochBar.value = 0;
      runBar.value = 0;
      return;
    }
    const cfg = run.config.train;
    const p = run.progress;
    const epochs = run.history.epochs;
    const doneEpochs = epochs.length;
    const currentEpoch = p && !p.epoch_complete ? p.epoch : doneEpochs;
    setText(cells.epoch, `${fmtInt(currentEpoch)} / ${fmtInt(cfg.max_epochs)}`);
    runBar.max = cfg.max_epochs;
    runBar.value = doneEpochs + (p && !p.epoch_complete ? p.step_in_epoch / p.steps_in_epoch : 0);
    setText(cells.step, p ? `${fmtInt(p.step_in_epoch)} / ${fmtInt(p.steps_in_epoch)}` : '—');
    epochBar.max = p?.steps_in_epoch || 1;
    epochBar.value = p?.step_in_epoch ?? 0;
    setText(cells.steps, p ? fmtInt(p.step) : fmtInt(run.history.steps.at(-1)?.step));
    setText(cells.loss, p ? fmtNumber(p.loss, 4) : '—');
    const lastEpoch = epochs.at(-1);
    // A live run shows its last chunk; an ended one its last full epoch (a stop cuts a chunk short).
    const live = run.status === 'running' && p;
    setText(cells.speed, live ? fmtRate(p.samples_per_s) : lastEpoch ? fmtRate(lastEpoch.samples_per_s) : p ? fmtRate(p.samples_per_s) : '—');
    const meanEpochSeconds = doneEpochs ? epochs.reduce((a, e) => a + e.seconds, 0) / doneEpochs : null;
    setText(cells['epoch-time'], lastEpoch ? `${fmtDuration(lastEpoch.seconds)} (${fmtDuration(meanEpochSeconds)})` : '—');
    // The epoch under way counts too, at its throughput so far (epochs report their time at their end).
    const epochSeconds = epochs.reduce((a, e) => a + e.seconds, 0);
    const underWay = p && !p.epoch_complete && p.step_in_epoch > 0 && p.samples_per_s > 0 ? (p.step_in_epoch * cfg.batch_size) / p.samples_per_s : 0;
    setText(cells.elapsed, underWay ? `≈ ${fmtDuration(epochSeconds + underWay)}` : fmtDuration(epochSeconds));
    let eta = null;
    if (run.status === 'running' || run.status === 'paused') {
      const batch = cfg.batch_size;
      const perEpoch = meanEpochSeconds ?? (p ? (p.steps_in_epoch * batch) / Math.max(p.samples_per_s, 1e-9) : null);
      const leftInEpoch = p && !p.epoch_complete ? ((p.steps_in_epoch - p.step_in_epoch) * batch) / Math.max(p.samples_per_s, 1e-9) : 0;
      const epochsLeft = cfg.max_epochs - doneEpochs - (p && !p.epoch_complete ? 1 : 0);
      if (perEpoch !== null) eta = leftInEpoch + Math.max(0, epochsLeft) * perEpoch;
    }
    setText(cells.eta, eta === null ? '—' : `${fmtDuration(eta)}${run.status === 'paused' ? ' (paused)' : ''}`);
    const summary = run.summary;
    const best = run.history.best_epoch;
    const bestRecord = epochs.find((e) => e.epoch === best);
    setText(cells.best, best ? `${best} (${fmtNumber(bestRecord?.val_loss ?? summary?.best_val_loss, 4)})` : '—');
    setText(cells.patience, summary ? `${summary.patience_left} / ${cfg.patience}` : '—');
    setText(cells.lr, p ? fmtLr(p.lr) : fmtLr(cfg.lr));
  };
}
