// What the comparison of 2–4 chosen runs draws, as columns on shared axes: learning curves per
// epoch, one statistic per layer against depth at a chosen epoch (or the run's end), gradient
// norms and update-to-weight ratios against depth, and the settings in which the runs differ.
// The comparison view draws exactly these columns, and the e2e tests read them (test-hook.js).

/** The per-layer statistics the depth chart can show, with their names. */
export const DEPTH_STATISTICS = {
  act_std: 'activation std',
  act_mean: 'activation mean',
  pre_std: 'pre-activation std',
  pre_mean: 'pre-activation mean',
  saturated: 'saturated fraction',
  dead: 'dead fraction',
  unit_spread: 'unit spread',
};

/** The choice the view offers: `epoch` null = each run's end, 0 = initialization; the statistic. */
export const DEFAULT_CHOICE = { epoch: null, statistic: 'act_std' };

/** The chosen runs that have something to draw, in the runs table's order. */
export function comparedRuns(state) {
  return state.runs.filter((r) => state.overlays.has(r.id) && (r.history.epochs.length > 0 || r.history.probes.length > 0));
}

const finite = (v) => (Number.isFinite(v) ? v : null);

/**
 * The probe of `run` shown for `epoch` (null: the run's last probe, of the restored best weights
 * when it finished; else the last probe of the weights trained by the end of that epoch), among
 * those `usable`.
 */
export function probeAt(run, epoch, usable = () => true) {
  const probes = run.history.probes.filter(usable);
  if (epoch === null) return probes.at(-1) ?? null;
  // The restored best weights come after the run, not during any epoch.
  return probes.filter((p) => p.epoch <= epoch + 1e-9 && p.weights?.kind !== 'restored-best').at(-1) ?? null;
}

/** One column per run and field over epochs 1..max (null where a run has no such epoch). */
function epochColumns(runs, fields) {
  const epochs = Math.max(0, ...runs.map((r) => r.history.epochs.at(-1)?.epoch ?? 0));
  const x = Array.from({ length: epochs }, (_, i) => i + 1);
  const series = [];
  runs.forEach((run, index) => {
    const byEpoch = new Map(run.history.epochs.map((e) => [e.epoch, e]));
    for (const [field, split] of fields) {
      series.push({ runId: run.id, run: index, split, field, y: x.map((e) => (byEpoch.has(e) ? finite(byEpoch.get(e)[field]) : null)) });
    }
  });
  return { x, series };
}

const positive = (v) => (Number.isFinite(v) && v > 0 ? v : null);

/**
 * One column per run of `field` against depth at the chosen probe; null past a run's depth (and,
 * for a log scale, where a value is not positive).
 */
function depthColumns(runs, epoch, field, usable, { log = false } = {}) {
  const value = log ? positive : finite;
  const picked = runs.map((run) => probeAt(run, epoch, usable));
  const layers = Math.max(0, ...picked.map((p) => (p ? p.stats[field]?.length ?? 0 : 0)));
  const x = Array.from({ length: layers }, (_, i) => i + 1);
  const series = picked.map((probe, index) => ({
    runId: runs[index].id,
    run: index,
    probe: probe && { step: probe.step, epoch: probe.epoch, restored: probe.weights?.kind === 'restored-best' },
    y: x.map((_, l) => (probe ? value(probe.stats[field]?.[l]) : null)),
  }));
  return { x, series };
}

/** `{path: value}` of a config's leaves (`model.activation`, `train.optimizer.kind`, …). */
function leaves(value, path, out) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) leaves(inner, path ? `${path}.${key}` : key, out);
  } else {
    out[path] = value;
  }
  return out;
}

/** The settings (config leaves, dataset) that are not the same in every run, with each run's value. */
export function settingDifferences(runs) {
  const flat = runs.map((r) => leaves({ ...r.config, dataset: r.dataset ?? null }, '', {}));
  const paths = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  return paths
    .map((path) => ({ setting: path.replace(/^(model|train)\./, ''), values: flat.map((f) => (path in f ? f[path] : null)) }))
    .filter(({ values }) => new Set(values.map((v) => JSON.stringify(v))).size > 1);
}

/** Everything the comparison draws for `runs` with `choice` (see DEFAULT_CHOICE). */
export function comparisonData(runs, choice = DEFAULT_CHOICE) {
  const statistic = choice.statistic in DEPTH_STATISTICS ? choice.statistic : DEFAULT_CHOICE.statistic;
  return {
    runs: runs.map((r) => ({ id: r.id, name: r.name })),
    epoch: choice.epoch,
    statistic,
    differences: settingDifferences(runs),
    loss: epochColumns(runs, [['val_loss', 'valid'], ['train_loss', 'train']]),
    accuracy: epochColumns(runs, [['val_accuracy', 'valid'], ['train_accuracy', 'train']]),
    depth: depthColumns(runs, choice.epoch, statistic, () => true),
    gradNorm: depthColumns(runs, choice.epoch, 'grad_norm', () => true, { log: true }),
    // The last probe of a finished run measures restored weights, after no step: the ratios come
    // from the last probe that followed a step.
    updateRatio: depthColumns(runs, choice.epoch, 'update_ratio', (p) => Array.isArray(p.stats.update_ratio), { log: true }),
  };
}
