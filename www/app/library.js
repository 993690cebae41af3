// The runs kept in this browser: viewing, comparing, deleting, exporting and importing them, and
// loading a stored run's weights to evaluate it again (plain or with MC Dropout).
import { Request } from '../protocol.js';
import { exportRunFile, parseRunFile } from '../run-file.js';
import { makeId } from './runs.js';

export function createLibrary(ctx) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;
  const runById = (id) => state.runs.find((r) => r.id === id) ?? null;

  async function evaluateHere(run) {
    const valid = await client.request(Request.EVALUATE, { split: 'valid' });
    const test = state.data.worker?.test_complete ? await client.request(Request.EVALUATE, { split: 'test' }) : null;
    run.results = { ...run.results, validHere: valid, testHere: test, evaluatedOn: state.data.name };
    store.saveNow(run);
  }

  return {
    /** Loads a stored run's weights into a freshly configured model and evaluates them. */
    async loadWeights(runId) {
      const run = runById(runId);
      if (!run || !phase.to('loading-weights')) return;
      try {
        const bytes = await store.getWeights(run);
        if (!bytes) throw new Error(`${run.name} has no stored weights.`);
        await client.request(Request.CONFIGURE, { runId: run.id, run: run.config });
        await client.request(Request.IMPORT_WEIGHTS, { bytes }, [bytes]);
        state.loadedRunId = run.id;
        state.viewRunId = run.id;
        state.mc = null;
        await evaluateHere(run);
      } catch (error) {
        if (!error.kind) notices.show(`Loading the weights of ${run.name} failed: ${error.message}`);
      } finally {
        if (phase.is('loading-weights')) phase.to('idle');
      }
    },

    async mcDropout(samples, split) {
      const run = runById(state.loadedRunId);
      if (!run || !phase.to('mc')) return;
      try {
        const answer = await client.request(Request.MC_DROPOUT, { split, samples });
        const result = { runId: run.id, split: answer.split, plain: answer.plain, mc: answer.mc, samples: samples.slice(0, answer.mc.length), stopped: answer.stopped, at: Date.now() };
        run.results = { ...run.results, mc: result };
        state.mc = result;
        store.saveNow(run);
      } catch {
        // The worker's error is on the page already.
      } finally {
        if (phase.is('mc')) phase.to('idle');
      }
    },

    viewRun(id) {
      state.viewRunId = id;
      store.ensureHistory(runById(id));
      invalidate();
    },

    /** Drops the stored weights of runs `ids`; their history and results stay. */
    async dropWeights(ids) {
      try {
        await store.dropWeights(ids);
      } catch (error) {
        notices.show(`The weights could not be deleted from the browser's storage: ${error.message}`);
        return;
      }
      for (const id of ids) {
        const run = runById(id);
        if (run) run.hasWeights = false;
      }
      invalidate();
    },

    toggleOverlay(id, on) {
      if (on) state.overlays.add(id);
      else state.overlays.delete(id);
      invalidate();
    },

    async deleteRun(id) {
      if (id === state.activeRunId) return;
      state.runs = state.runs.filter((r) => r.id !== id);
      state.overlays.delete(id);
      if (state.viewRunId === id) state.viewRunId = state.runs.at(-1)?.id ?? null;
      if (state.loadedRunId === id) state.loadedRunId = null;
      invalidate();
      try {
        await store.delete(id);
      } catch (error) {
        notices.show(`The run could not be deleted from the browser's storage: ${error.message}`);
      }
    },

    async exportRun(id) {
      const run = runById(id);
      if (!run) return;
      try {
        await store.ensureHistory(run);
        const weights = run.hasWeights ? await store.getWeights(run) : null;
        const blob = new Blob([exportRunFile(run, weights)], { type: 'application/json' });
        const url = URL.createObjectURL(blob);
        const link = Object.assign(document.createElement('a'), { href: url, download: `${String(run.name).replace(/[^A-Za-z0-9._-]+/g, '_')}.selfnorm-run.json` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      } catch (error) {
        notices.show(`Exporting ${run.name} failed: ${error.message}`);
      }
    },

    async importRuns(files) {
      for (const file of files) {
        try {
          const { run, weights } = parseRunFile(await file.text(), file.name, makeId());
          if (state.runs.some((r) => r.name === run.name)) run.name = `${run.name} (imported)`;
          state.runs.push(run);
          state.overlays.add(run.id);
          state.viewRunId = run.id;
          await store.saveNow(run);
          if (weights) await store.putWeights(run, weights);
        } catch (error) {
          notices.show(`Import failed: ${error.message}`);
        }
      }
      invalidate();
    },
  };
}
