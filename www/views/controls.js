// The run's settings. A variant fills the model, preprocessing and learning rate from the
// worker's presets; every field stays editable, and the run is named after its variant with a star
// when it differs. The settings a newcomer need not touch are folded. The buttons that act on the
// settings live in the action bar, which reads them through `app.form`.
import { h, setText, fmtLr, fmtInt } from './format.js';
import { settingsHash, linkEntries } from '../app/settings-link.js';

const STORAGE_KEY = 'selfnorm-form-v1';

/** A select whose options come later: the variants, or the wasm module's choices (`state.choices`). */
function select(id, attrs = {}) {
  return h('select', { id, ...attrs });
}
function number(id, attrs = {}) {
  return h('input', { id, type: 'number', inputmode: 'decimal', ...attrs });
}
function field(label, input, { hint = null, wide = false, cls = '' } = {}) {
  return h('label', { class: `field${wide ? ' field-wide' : ''} ${cls}` }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'field-hint' }, hint) : null);
}

export function createControls(container, app) {
  const el = {
    variant: select('variant', { 'aria-label': 'Variant' }),
    depth: number('depth', { min: 1, max: 200, step: 1, value: 20 }),
    width: number('width', { min: 1, max: 4096, step: 1, value: 100 }),
    activation: select('activation'),
    kernelInit: select('kernel-init'),
    initValue: number('init-value', { step: 'any', value: 0.01 }),
    batchNorm: h('input', { id: 'batch-norm', type: 'checkbox' }),
    inputBatchNorm: h('input', { id: 'input-batch-norm', type: 'checkbox' }),
    dropoutKind: select('dropout-kind'),
    dropoutRate: number('dropout-rate', { min: 0, max: 0.95, step: 0.05, value: 0.1 }),
    dropoutPlacement: select('dropout-placement'),
    preprocessing: select('preprocessing'),
    maxRecords: number('max-records', { min: 0, step: 100 }),
    optimizer: select('optimizer'),
    momentum: number('momentum', { min: 0, max: 0.999, step: 0.05, value: 0.9 }),
    nadamSchedule: select('nadam-schedule'),
    nesterov: h('input', { id: 'nesterov', type: 'checkbox', checked: true }),
    schedule: select('schedule'),
    lr: h('input', { id: 'lr', type: 'text', inputmode: 'decimal', value: '5e-5', spellcheck: false, autocomplete: 'off' }),
    batchSize: number('batch-size', { min: 1, max: 65536, step: 1, value: 32 }),
    epochs: number('epochs', { min: 1, max: 10000, step: 1 }),
    patience: number('patience', { min: 0, max: 10000, step: 1 }),
    seed: number('seed', { min: 0, step: 1, value: 42 }),
    probeEvery: number('probe-every', { min: 0, step: 1, value: 200 }),
    lrSteps: number('lr-steps', { min: 10, max: 100000, step: 10, value: 200 }),
    lrMin: h('input', { id: 'lr-min', type: 'text', inputmode: 'decimal', value: '1e-6', spellcheck: false }),
    lrMax: h('input', { id: 'lr-max', type: 'text', inputmode: 'decimal', value: '1', spellcheck: false }),
  };
  const variantTitle = h('div', { class: 'variant-title', 'data-testid': 'variant-title' });
  const modifiedNote = h('div', { class: 'variant-modified', 'data-testid': 'variant-modified' });
  const resetLink = h('button', { class: 'btn-link', type: 'button' }, 'reset to the preset');
  const lrHint = h('span', { class: 'field-hint' });
  const probeHint = h('span', { class: 'field-hint' });

  const initValueField = field('value', el.initValue, { cls: 'when-constant' });
  const momentumField = field('momentum', el.momentum, { cls: 'when-sgd' });
  const nesterovField = h('label', { class: 'check when-sgd' }, el.nesterov, ' Nesterov');
  const nadamScheduleField = field('Nadam momentum schedule', el.nadamSchedule, { cls: 'when-nadam', wide: true });
  const dropoutFields = [field('rate', el.dropoutRate, { cls: 'when-dropout' }), field('placement', el.dropoutPlacement, { cls: 'when-dropout', wide: true })];
  const lrField = h('label', { class: 'field field-wide' }, h('span', { class: 'field-label' }, 'learning rate'), el.lr, lrHint);
  const probeField = h('label', { class: 'field field-wide' }, h('span', { class: 'field-label' }, 'probe layers every (steps)'), el.probeEvery, probeHint);

  // On a phone the training settings are folded, so that the preview (which they do not change)
  // follows the settings it shows (model and inputs) within a screen.
  const training = h('details', { class: 'advanced run-training', open: !matchMedia('(max-width: 700px)').matches },
    h('summary', {}, 'Training: learning rate, optimizer, batch, epochs'),
    h('fieldset', {}, h('legend', {}, 'Data'),
      h('div', { class: 'grid-2' },
        field('train records per epoch', el.maxRecords, { hint: '0 = all', wide: true }))),
    h('fieldset', {}, h('legend', {}, 'Optimization'),
      h('div', { class: 'grid-2' },
        field('optimizer', el.optimizer), field('schedule', el.schedule), momentumField, nesterovField, nadamScheduleField, lrField,
        field('batch size', el.batchSize), field('max epochs', el.epochs))));
  const form = h('form', { class: 'controls-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'variant-row' }, field('Variant', el.variant, { wide: true }), variantTitle, h('div', { class: 'variant-modified-row' }, modifiedNote, resetLink)),
    h('fieldset', {}, h('legend', {}, 'Model'),
      h('div', { class: 'grid-2' },
        field('hidden layers', el.depth), field('units per layer', el.width),
        field('activation', el.activation), field('kernel init', el.kernelInit), initValueField,
        h('label', { class: 'check field-wide' }, el.batchNorm, ' Batch normalization before each activation'),
        h('label', { class: 'check field-wide' }, el.inputBatchNorm, ' Batch normalization of the inputs'),
        field('dropout', el.dropoutKind), ...dropoutFields,
        field('input preprocessing', el.preprocessing, { wide: true }))),
    training,
    h('details', { class: 'advanced', 'data-testid': 'advanced-settings' }, h('summary', {}, 'Advanced: patience, seed, probes, LR sweep'),
      h('div', { class: 'grid-2' },
        field('patience', el.patience, { hint: 'epochs without a better val loss' }), field('seed', el.seed),
        probeField),
      h('fieldset', {}, h('legend', {}, 'LR finder sweep'),
        h('div', { class: 'grid-3' }, field('steps', el.lrSteps), field('from', el.lrMin), field('to', el.lrMax)))),
  );
  const copyButton = h('button', { id: 'btn-copy-link', class: 'btn btn-small', type: 'button', title: 'Copy a link that opens this page with these settings' }, 'Copy link');
  const copyStatus = h('span', { class: 'copy-link-status', 'data-testid': 'copy-link-status', role: 'status' });
  const linkField = h('input', { class: 'copy-link-field', type: 'text', readonly: true, hidden: true, 'aria-label': 'Link to these settings' });
  container.append(h('div', { class: 'panel-head' }, h('h2', {}, 'Run settings'), h('span', { class: 'panel-sub' }, 'The buttons are in the bar at the top.'),
    h('div', { class: 'panel-head-side' }, copyButton, copyStatus)), linkField, form);

  let variants = [];
  let choices = null;

  const currentVariant = () => variants.find((v) => v.name === el.variant.value) ?? null;

  const inputs = new Map(Object.values(el).map((input) => [input.id, input]));

  /** The form's values by field id: text, or a boolean for a checkbox. */
  function formValues() {
    return Object.fromEntries([...inputs].map(([id, input]) => [id, input.type === 'checkbox' ? input.checked : input.value]));
  }
  function setValues(values) {
    for (const [id, value] of Object.entries(values)) {
      const input = inputs.get(id);
      if (input?.type === 'checkbox') input.checked = Boolean(value);
      else if (input) input.value = value;
    }
  }
  // The values the form starts with: what a link leaves out of the settings a preset does not set.
  const initialValues = formValues();

  /** The form's values that preset `v` sets. */
  function variantValues(v) {
    const m = v.model;
    const values = {
      depth: String(m.depth),
      width: String(m.width),
      activation: m.activation,
      'kernel-init': m.kernel_init.kind,
      'batch-norm': m.batch_norm,
      'input-batch-norm': Boolean(m.input_batch_norm),
      'dropout-kind': m.dropout?.kind ?? 'none',
      preprocessing: v.preprocessing,
      lr: fmtLr(v.lr).replace('.0e', 'e'),
    };
    if (m.kernel_init.kind === 'constant') values['init-value'] = String(m.kernel_init.value);
    if (m.dropout) Object.assign(values, { 'dropout-rate': String(m.dropout.rate), 'dropout-placement': m.dropout.placement });
    return values;
  }
  const applyVariant = (v) => setValues(variantValues(v));

  function parseRate(text, name) {
    const value = Number(text.trim());
    if (!text.trim() || !Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number such as 5e-4 (got "${text}").`);
    return value;
  }
  function parseInteger(text, name, min) {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${text}").`);
    return value;
  }

  /** The run config from the form's values (throws a readable Error when a field is invalid). */
  function readConfig(state, v = formValues()) {
    const kind = v['kernel-init'];
    let kernelInit = { kind };
    if (kind === 'constant') {
      const value = Number(v['init-value']);
      if (!Number.isFinite(value)) throw new Error('the constant init value must be a number.');
      kernelInit = { kind, value };
    }
    let dropout = null;
    if (v['dropout-kind'] !== 'none') {
      const rate = Number(v['dropout-rate']);
      if (!(rate >= 0 && rate < 1)) throw new Error(`the dropout rate must be in [0, 1) (got "${v['dropout-rate']}").`);
      dropout = { kind: v['dropout-kind'], rate, placement: v['dropout-placement'] };
    }
    const manifest = state.data.manifest;
    const model = {
      input_dim: manifest ? manifest.image_shape.reduce((a, b) => a * b, 1) : 3072,
      classes: manifest ? manifest.classes.length : 10,
      depth: parseInteger(v.depth, 'hidden layers', 1),
      width: parseInteger(v.width, 'units per layer', 1),
      activation: v.activation,
      kernel_init: kernelInit,
      bias_init: 0,
      batch_norm: v['batch-norm'],
      input_batch_norm: v['input-batch-norm'],
      dropout,
    };
    const optimizer = v.optimizer === 'sgd'
      ? { kind: 'sgd', momentum: Number(v.momentum), nesterov: v.nesterov }
      : v.optimizer === 'nadam' ? { kind: 'nadam', momentum_schedule: v['nadam-schedule'] } : { kind: v.optimizer };
    if (optimizer.kind === 'sgd' && !(optimizer.momentum >= 0 && optimizer.momentum < 1)) throw new Error('SGD momentum must be in [0, 1).');
    const probeEvery = parseInteger(v['probe-every'], 'the probe interval', 0);
    const train = {
      lr: parseRate(v.lr, 'the learning rate'),
      schedule: { kind: v.schedule },
      optimizer,
      batch_size: parseInteger(v['batch-size'], 'the batch size', 1),
      max_epochs: parseInteger(v.epochs, 'max epochs', 1),
      patience: parseInteger(v.patience, 'patience', 0),
      seed: parseInteger(v.seed, 'the seed', 0),
      // The crate completes the rest (L1, readback interval, probe batch) as the CLI does.
      probe_every: probeEvery,
      max_train_records: parseInteger(v['max-records'], 'train records per epoch', 0),
    };
    return { model, train, preprocessing: v.preprocessing };
  }

  function modifications() {
    const v = currentVariant();
    if (!v) return [];
    const changes = [];
    const m = v.model;
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    if (Number(el.depth.value) !== m.depth) changes.push(`depth ${el.depth.value}`);
    if (Number(el.width.value) !== m.width) changes.push(`width ${el.width.value}`);
    if (el.activation.value !== m.activation) changes.push(el.activation.value);
    const init = el.kernelInit.value === 'constant' ? { kind: 'constant', value: Number(el.initValue.value) } : { kind: el.kernelInit.value };
    if (!same(init, m.kernel_init)) changes.push(`${el.kernelInit.value} init`);
    if (el.batchNorm.checked !== m.batch_norm) changes.push(el.batchNorm.checked ? '+BN' : 'no BN');
    if (el.inputBatchNorm.checked !== Boolean(m.input_batch_norm)) changes.push(el.inputBatchNorm.checked ? '+input BN' : 'no input BN');
    const dropout = el.dropoutKind.value === 'none' ? null : { kind: el.dropoutKind.value, rate: Number(el.dropoutRate.value), placement: el.dropoutPlacement.value };
    if (!same(dropout, m.dropout)) changes.push(dropout ? `${dropout.kind} dropout ${dropout.rate}` : 'no dropout');
    if (el.preprocessing.value !== v.preprocessing) changes.push(el.preprocessing.value);
    if (Number(el.lr.value) !== v.lr) changes.push(`lr ${el.lr.value}`);
    return changes;
  }

  function syncVisibility() {
    form.classList.toggle('is-constant', el.kernelInit.value === 'constant');
    form.classList.toggle('is-sgd', el.optimizer.value === 'sgd');
    form.classList.toggle('is-nadam', el.optimizer.value === 'nadam');
    form.classList.toggle('has-dropout', el.dropoutKind.value !== 'none');
    const v = currentVariant();
    setText(variantTitle, v ? v.title : '');
    const changes = modifications();
    setText(modifiedNote, changes.length ? `Modified: ${changes.join(', ')}` : v ? 'As in the exercise.' : '');
    resetLink.hidden = changes.length === 0;
    setText(lrHint, v ? `the preset's rate: ${fmtLr(v.lr)}` : '');
  }

  function save() {
    const values = { ...formValues(), probeTouched: el.probeEvery.dataset.touched === 'true' };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(values));
    } catch {
      // Settings are a convenience; nothing is lost when they cannot be kept.
    }
  }

  function restore() {
    let values;
    try {
      values = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    } catch {
      values = null;
    }
    if (!values || !variants.some((v) => v.name === values.variant)) return false;
    setValues(values);
    if (values.probeTouched) el.probeEvery.dataset.touched = 'true';
    return true;
  }

  // The link: the variant, the run length, the fields unlike the preset's (or the form's starting
  // values), and the probe interval only when the user chose one (else it follows the dataset).
  const ALWAYS_IN_LINK = ['variant', 'epochs', 'max-records', 'patience'];
  /** Until the page's own link is read, edits do not overwrite it. */
  let linkRead = false;
  let linkOpened = false;

  function writeLink() {
    const v = currentVariant();
    if (!linkRead || !v) return;
    const values = formValues();
    if (el.probeEvery.dataset.touched !== 'true') delete values['probe-every'];
    const hash = settingsHash(values, { ...initialValues, ...variantValues(v) }, ALWAYS_IN_LINK);
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  }

  /**
   * Applies the settings in the page's link, all of them or none: a key that is no setting, a
   * choice that is not offered, a value the form would refuse, or a run the crate's rules refuse
   * (asked of the worker) is named in a notice, and the form keeps what it had.
   */
  async function openLink(state) {
    const entries = linkEntries(location.hash);
    if (!entries.length) return;
    const given = new Map(entries);
    const variantName = given.get('variant') ?? el.variant.value;
    const preset = variants.find((v) => v.name === variantName);
    // Settings the link leaves out are the preset's; for an unknown variant the crate says so.
    const values = { ...(preset ? { ...initialValues, ...variantValues(preset) } : formValues()), variant: variantName };
    const problems = [];
    for (const [key, text] of entries) {
      const input = inputs.get(key);
      if (!input) {
        problems.push(`"${key}" is not one of the settings`);
      } else if (input.type === 'checkbox') {
        if (text === 'true' || text === 'false') values[key] = text === 'true';
        else problems.push(`${key} must be true or false (got "${text}")`);
      } else if (input.tagName === 'SELECT' && key !== 'variant') {
        const offered = [...input.options].map((o) => o.value);
        if (offered.includes(text)) values[key] = text;
        else problems.push(`${key} must be one of ${offered.join(', ')} (got "${text}")`);
      } else {
        values[key] = text;
      }
    }
    if (!problems.length) {
      try {
        const { problem } = await app.checkSettings(variantName, readConfig(state, values));
        readSweep(values);
        if (problem) problems.push(problem);
      } catch (error) {
        problems.push(error.message);
      }
    }
    if (problems.length) {
      app.notify(`The settings in this page's link were not applied, and the form keeps its own: ${problems.join('; ').replace(/\.$/, '')}. Correct the link, or set the form by hand.`, { kind: 'notice' });
    } else {
      // Without a chosen probe interval the form's own stays (it follows the dataset).
      if (given.has('probe-every')) el.probeEvery.dataset.touched = 'true';
      else delete values['probe-every'];
      setValues(values);
      syncVisibility();
      save();
    }
  }

  copyButton.addEventListener('click', async () => {
    writeLink();
    try {
      await navigator.clipboard.writeText(location.href);
      linkField.hidden = true;
      setText(copyStatus, 'Link copied.');
    } catch {
      // No clipboard (an insecure origin, a refused permission): the link to copy by hand.
      linkField.value = location.href;
      linkField.hidden = false;
      linkField.select();
      setText(copyStatus, 'Copy the link below.');
    }
  });

  function onChange() {
    syncVisibility();
    save();
    writeLink();
    setText(copyStatus, '');
    app.invalidate();
  }
  form.addEventListener('input', onChange);
  form.addEventListener('change', onChange);
  el.variant.addEventListener('change', () => {
    const v = currentVariant();
    if (v) applyVariant(v);
    onChange();
  });
  resetLink.addEventListener('click', () => {
    const v = currentVariant();
    if (v) applyVariant(v);
    onChange();
  });
  el.probeEvery.addEventListener('input', () => { el.probeEvery.dataset.touched = 'true'; });

  const runSpec = (config) => ({ config, variant: el.variant.value || 'custom', modified: modifications() });

  /** The LR sweep's settings (throws a readable Error when they are invalid). */
  function readSweep(v = formValues()) {
    const sweep = { min_lr: Number(v['lr-min']), max_lr: Number(v['lr-max']), steps: Number(v['lr-steps']) };
    if (!(sweep.min_lr > 0 && sweep.max_lr > sweep.min_lr)) throw new Error('the LR sweep needs 0 < from < to.');
    if (!(Number.isInteger(sweep.steps) && sweep.steps >= 10)) throw new Error('the LR sweep needs at least 10 steps.');
    return sweep;
  }

  function fillLength({ epochs, max_train_records: records, patience }) {
    el.epochs.value = epochs;
    el.maxRecords.value = records;
    el.patience.value = patience;
  }
  function setLength(length) {
    fillLength(length);
    onChange();
  }

  app.form = {
    read: () => readConfig(app.state),
    spec: runSpec,
    sweep: readSweep,
    /** Sets the run's length (`{epochs, max_train_records, patience}`). */
    setLength,
  };

  app.applyLr = (lr) => {
    el.lr.value = fmtLr(lr).replace('.0e', 'e');
    onChange();
    training.open = true;
    el.lr.focus();
  };

  let probeDefaultFor = null;

  return function update(state) {
    // The selects' options (keyed as `el`), before a variant or a stored form sets their values.
    if (choices !== state.choices && state.choices) {
      choices = state.choices;
      for (const [key, options] of Object.entries(choices)) el[key]?.replaceChildren(...options.map((c) => h('option', { value: c.value }, c.label)));
    }
    if (variants !== state.variants && state.variants.length) {
      variants = state.variants;
      const chosen = el.variant.value;
      el.variant.replaceChildren(...variants.map((v) => h('option', { value: v.name }, v.label ?? v.name)));
      // The run's length starts as the exercise's (the crate's, which come with the variants);
      // settings the link or the kept form leave out keep it.
      fillLength(state.lengths.full);
      Object.assign(initialValues, { epochs: el.epochs.value, 'max-records': el.maxRecords.value, patience: el.patience.value });
      if (!restore()) {
        el.variant.value = variants.some((v) => v.name === chosen) ? chosen : variants[0].name;
        applyVariant(currentVariant());
        // A first visit on a slow backend starts with a run that ends in seconds, not an hour.
        if (state.lengths.first_visit_quick) setLength(state.lengths.quick);
      }
      syncVisibility();
      if (!linkOpened) {
        linkOpened = true;
        openLink(state).finally(() => {
          linkRead = true;
          writeLink();
          app.invalidate();
        });
      }
    }

    // A probe every ~1/8 epoch unless the user chose an interval.
    const trainRecords = state.data.manifest?.train.records;
    if (trainRecords && probeDefaultFor !== trainRecords && !el.probeEvery.dataset.touched) {
      probeDefaultFor = trainRecords;
      const steps = Math.ceil(trainRecords / Math.max(1, Number(el.batchSize.value) || 32));
      el.probeEvery.value = Math.min(200, Math.max(1, Math.floor(steps / 8)));
    }
    if (trainRecords) {
      const records = Number(el.maxRecords.value) > 0 ? Math.min(Number(el.maxRecords.value), trainRecords) : trainRecords;
      const steps = Math.ceil(records / Math.max(1, Number(el.batchSize.value) || 1));
      const every = Number(el.probeEvery.value);
      setText(probeHint, every > 0 ? `${fmtInt(steps)} steps per epoch → about ${Math.max(1, Math.round(steps / every))} probes per epoch` : `${fmtInt(steps)} steps per epoch; 0 = only the first and the final probe`);
    }

    el.variant.disabled = variants.length === 0;
  };
}
