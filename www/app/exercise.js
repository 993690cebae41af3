// Exercise 8 in one click: the worker runs it (crate/src/exercise, the same code as `selfnorm
// exercise`) and sends its events; here each part's training run becomes a run record of the
// page, the panel says what the exercise is doing, and the table fills in as parts end. The rows
// so far are kept in the browser after each part, so a reload resumes at the next part.
import { Request } from '../io/protocol.js';
import { makeId, startedRun } from './runs.js';
import { choiceName } from '../views/format.js';

const STORAGE_KEY = 'selfnorm-exercise-v1';

/** The kept table of each edition: `{edition, length, options, rows, runIds, complete, at}` (`runIds`: the page's run id of each part). */
function loadKept() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export function createExercise(ctx, runs) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;
  state.exercise = { kept: loadKept(), active: null, failure: null, plan: null };

  function keep(entry) {
    state.exercise.kept[entry.edition] = entry;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state.exercise.kept));
    } catch (error) {
      notices.show(`The exercise's table could not be saved in the browser (${error.message}): it stays until the page closes, and a reload starts the exercise again.`, { kind: 'notice' });
    }
  }

  function progress(active, complete) {
    return { edition: active.edition, length: active.length, options: active.options, rows: active.rows, runIds: active.runIds, complete, at: Date.now() };
  }

  function onRunStarted(active, runId, event) {
    const { part } = event;
    runs.addRun({
      id: runId,
      ...startedRun(event),
      variant: active.variants[part],
      name: `Exercise 8${part} (${choiceName(state.choices, 'edition', active.edition)}, ${choiceName(state.choices, 'exerciseLength', active.length)}) · ${active.variants[part]}`,
      lesson: { name: `exercise-${active.edition}`, label: part, startedAt: active.startedAt },
    });
    active.step = `(${part}) ${active.variants[part]}: training`;
  }

  /** An EXERCISE or CONTINUE answer: the table, or a pause (the exercise waits for Continue or Stop). */
  function settle(active, answer) {
    if (answer.state === 'paused') {
      active.paused = true;
      active.step = `paused: ${active.step}`;
      invalidate();
    } else {
      active.end(answer);
    }
  }

  const onEvent = {
    // A STOP while paused winds the exercise up outside any request: its last event says how it ended.
    finished: (active, _, e) => active.end({ table: e.table, stopped: e.stopped }),
    'part-started': (active, _, { plan }) => {
      active.part = plan.part;
      active.variants[plan.part] = plan.variant.name;
      active.step = `(${plan.part}) ${plan.variant.name}: ${plan.search.length ? `learning-rate search over ${plan.search.length} rates` : 'LR finder for 1cycle\'s peak rate'}`;
    },
    searching: (active, _, e) => {
      active.step = `(${e.part}) ${active.variants[e.part]}: learning-rate search, rate ${e.lr.toPrecision(2)} (${e.candidate + 1} of ${e.candidates})`;
      if (e.event.kind === 'stepped') active.stepProgress = e.event.progress;
    },
    swept: (active, _, e) => {
      if (e.event.kind === 'swept') active.step = `(${e.part}) LR finder: ${e.event.steps} of ${e.event.total} steps`;
    },
    'run-started': (active, runId, e) => onRunStarted(active, runId, e),
    trained: (active, runId, e) => {
      runs.onTrainEvent(runId, e.event);
      if (e.event.kind === 'finished') active.step = `(${e.part}) measuring`;
    },
    measured: (active, _, e) => {
      active.step = `(${e.part}) MC Dropout: ${e.row.valid.passes} passes measured`;
    },
    'run-weights': (_, runId, e) => {
      const run = runs.runById(runId);
      if (run) store.putWeights(run, e.bytes);
    },
    'part-ended': (active, _, e) => {
      active.rows.push(...e.rows);
      keep(progress(active, false));
    },
  };

  return {
    /** Runs the exercise of `edition` ('2nd'|'3rd') at `length` ('quick'|'full'); `resume`: continue the kept table. */
    async run({ edition, length, options = {}, resume = false }) {
      if (state.exercise.active || !phase.is('idle')) return;
      const kept = resume ? state.exercise.kept[edition] : null;
      const settings = { edition, length: kept?.length ?? length, options: kept?.options ?? options };
      const rows = kept?.rows ?? [];
      // The parts still to train get new runs; the ended ones (a row of their own) keep theirs.
      // Asked before the exercise shows as started, so that a Pause is never sent before it runs.
      let parts;
      try {
        ({ parts } = await client.request(Request.EXERCISE_PLAN, { ...settings, trainRecords: 0 }));
      } catch (error) {
        state.exercise.failure = { stopped: false, message: `The exercise could not start: ${error.message}.` };
        invalidate();
        return;
      }
      if (state.exercise.active || !phase.is('idle')) return;
      let ended;
      const active = {
        finished: new Promise((resolve) => { ended = resolve; }),
        paused: false,
        ...settings, rows,
        runIds: Object.fromEntries(parts.map(({ part }) => [part, rows.some((r) => r.row === part) ? kept.runIds[part] : makeId()])),
        variants: {}, part: null, step: 'Starting', startedAt: Date.now(),
      };
      state.exercise.active = active;
      state.exercise.failure = null;
      phase.to('exercise');
      invalidate();
      try {
        active.end = ended;
        settle(active, await client.request(Request.EXERCISE, { edition: active.edition, length: active.length, options: active.options, runIds: active.runIds, done: active.rows }));
        const answer = await active.finished;
        active.rows = answer.table.rows;
        keep(progress(active, !answer.stopped));
        if (answer.stopped) state.exercise.failure = { stopped: true, message: `The exercise was stopped during part (${active.part}); the parts that ended stay in the table, and Resume continues with the next one.` };
      } catch (error) {
        state.exercise.failure = { stopped: false, message: `The exercise did not finish: ${error.message}. The parts that ended stay in the table; Resume continues with the next one.` };
        if (!error.kind) notices.show(state.exercise.failure.message);
      } finally {
        state.exercise.active = null;
        if (phase.is('exercise', 'stopping')) phase.to('idle');
        invalidate();
      }
    },

    /** Pauses the exercise after its current piece of work. */
    pause() {
      const active = state.exercise.active;
      if (!active || active.paused) return;
      client.request(Request.PAUSE).catch(() => {});
    },

    /** Goes on with the paused exercise. */
    async continue() {
      const active = state.exercise.active;
      if (!active?.paused) return;
      active.paused = false;
      invalidate();
      try {
        settle(active, await client.request(Request.CONTINUE));
      } catch (error) {
        active.end(Promise.reject(error));
      }
    },

    /** What the plan of `edition` at `length` trains: for the time estimate before it starts. */
    async plan(edition, length, options = {}) {
      const trainRecords = state.data.worker?.expected?.[0] || 45000;
      try {
        state.exercise.plan = await client.request(Request.EXERCISE_PLAN, { edition, length, options, trainRecords });
      } catch {
        state.exercise.plan = null;
      }
      invalidate();
    },

    /** An exercise event (io/protocol.js): `runId` is the id the page gave the part's run. */
    onEvent(runId, event) {
      const active = state.exercise.active;
      if (!active) return;
      onEvent[event.kind]?.(active, runId, event);
      invalidate();
    },
  };
}
