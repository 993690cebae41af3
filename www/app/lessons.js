// A lesson in the page: the worker runs it (crate/src/lessons/runner.rs, the same code as
// `selfnorm lesson NAME`) and sends its events; here each of its runs becomes a run record of
// the page as it starts, the panel says what the lesson is doing, and the finding is kept as the
// lesson's last one (IndexedDB), with what the page needs to draw it again after a reload.
import { Request } from '../io/protocol.js';
import { makeId, startedRun } from './runs.js';
import { lessonTitle } from '../views/lessons.js';

export function createLessons(ctx, runs) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;

  /** A lesson run's name: the lesson as its tab reads, the run's label, and a number when the lesson ran before. */
  function runName(lesson, label) {
    const n = state.runs.filter((r) => r.lesson?.name === lesson && r.lesson.label === label && !r.imported).length + 1;
    return `${lessonTitle(lesson)} · ${label}${n > 1 ? ` #${n}` : ''}`;
  }

  function onRunStarted(active, runId, event) {
    const { index, label } = event;
    runs.addRun({
      id: runId,
      ...startedRun(event),
      variant: `lesson ${active.name}`,
      name: runName(active.name, label),
      lesson: { name: active.name, label, startedAt: active.startedAt },
    });
    active.index = index;
    active.step = `${label}: training`;
  }

  /** The lesson's measurements of MC Dropout also fill the run's MC Dropout results. */
  function onRunEnded(runId, outcome) {
    const run = runs.runById(runId);
    const inference = outcome.extra?.inference ?? [];
    const plain = inference.find((i) => i.mode === 'eval');
    const mc = inference.filter((i) => i.mode === 'mc-dropout');
    if (run && plain && mc.length) {
      const asEvaluation = (i) => ({ accuracy: i.accuracy, seconds: i.seconds, passes: i.samples, loss: null, records: null });
      run.results = { ...run.results, mc: { runId, split: 'valid', plain: asEvaluation(plain), mc: mc.map(asEvaluation), samples: mc.map((i) => i.samples), at: Date.now() } };
      store.saveNow(run);
    }
  }

  function record(name, lesson, options, finding, active) {
    const lessonRuns = active.runIds.map((id) => runs.runById(id)).filter(Boolean);
    return {
      name,
      question: lesson.question,
      caption: lesson.caption,
      options,
      finding,
      runs: lessonRuns.map((run) => ({
        label: run.lesson.label,
        runId: run.id,
        status: run.status,
        error: run.error,
        parameters: run.info?.parameters ?? null,
        model: run.config.model,
        lr: run.config.train.lr,
        history: { steps: run.history.steps, epochs: run.history.epochs, best_epoch: run.history.best_epoch },
      })),
      backend: state.backend.active,
      software: Boolean(state.backend.adapter?.software),
      dataset: state.data.name,
      classes: state.data.manifest?.classes.length ?? null,
      trainRecords: state.data.worker?.loaded?.[0] ?? null,
      started: active.startedAt,
      finished: Date.now(),
    };
  }

  async function keep(entry) {
    state.lessons.records[entry.name] = entry;
    try {
      await store.putLesson(entry);
    } catch (error) {
      notices.show(`The finding of the ${entry.name} lesson could not be saved in the browser (${error.message}); it stays until the page closes.`, { kind: 'notice' });
    }
  }

  return {
    /** The lessons' questions, captions and runs for the panel, at `options` (the panel's). */
    async loadCatalog(options = state.lessons.options ?? {}) {
      try {
        state.lessons.catalog = await client.request(Request.LESSONS, { options });
        invalidate();
      } catch {
        // The worker's error is on the page already.
      }
    },

    /** Lists the lessons again with the panel's `options` (run labels and settings follow them). */
    list(options) {
      state.lessons.options = options;
      if (state.backend.status === 'ready') this.loadCatalog(options);
    },

    /** Runs lesson `name` with `options` (`{epochs, max_train_records, depth, width, l1, …}`). */
    async run(name, options) {
      if (state.lessons.active || !phase.is('idle')) return;
      const active = { name, options, step: 'Preparing the runs', index: 0, total: 0, labels: [], runIds: [], startedAt: Date.now() };
      state.lessons.active = active;
      state.lessons.failure = null;
      phase.to('lesson');
      try {
        const lesson = (await client.request(Request.LESSONS, { options })).find((l) => l.name === name);
        if (!lesson) throw new Error(`the worker knows no lesson named "${name}"`);
        Object.assign(active, { total: lesson.runs.length, labels: lesson.runs.map((r) => r.label), runIds: lesson.runs.map(() => makeId()) });
        const answer = await client.request(Request.LESSON, { name, options, runIds: active.runIds });
        if (answer.stopped) {
          const label = active.labels[active.index];
          state.lessons.failure = { name, stopped: true, message: `The lesson was stopped during its run "${label}"; the runs it trained stay in the runs table.` };
        } else {
          await keep(record(name, lesson, options, answer.finding, active));
        }
      } catch (error) {
        state.lessons.failure = { name, stopped: false, message: `The ${name} lesson did not finish: ${error.message}` };
        if (!error.kind) notices.show(state.lessons.failure.message);
        for (const id of active.runIds) await runs.failed(id, error);
      } finally {
        state.lessons.active = null;
        if (phase.is('lesson', 'stopping')) phase.to('idle');
        invalidate();
      }
    },

    /** A lesson's event (io/protocol.js): `runId` is the id the page gave the run it belongs to. */
    onEvent(runId, event) {
      const active = state.lessons.active;
      if (!active) return;
      const label = active.labels[event.index] ?? '';
      if (event.kind === 'swept') {
        active.index = event.index;
        active.step = `${label}: LR finder for 1cycle's peak rate`;
      } else if (event.kind === 'run-started') {
        onRunStarted(active, runId, event);
      } else if (event.kind === 'trained') {
        runs.onTrainEvent(runId, event.event);
        if (event.event.kind === 'finished') active.step = `${label}: measuring`;
      } else if (event.kind === 'run-ended') {
        onRunEnded(runId, event.outcome);
      } else if (event.kind === 'run-weights') {
        const run = runs.runById(runId);
        if (run) store.putWeights(run, event.bytes);
      }
      invalidate();
    },
  };
}

/** The finding's runs in the lesson's order (the finding keys them by label, sorted). */
export function orderedRuns(record) {
  const runs = record.finding?.runs ?? {};
  const labels = record.runs?.map((r) => r.label) ?? Object.keys(runs);
  return labels.filter((label) => label in runs).map((label) => ({ label, ...runs[label], run: record.runs?.find((r) => r.label === label) ?? null }));
}
