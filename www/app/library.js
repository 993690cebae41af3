// The runs kept in this browser: viewing, comparing, deleting, exporting (run file, CSV) and
// importing them (picked files, or a file at an address the link names), and loading a stored
// run's weights to evaluate it again (plain or with MC Dropout).
import { Request } from '../io/protocol.js';
import { toBase64 } from '../io/base64.js';
import { compactProbe } from '../io/histograms.js';
import { makeId } from './runs.js';
import { httpAddress, fileNameOf } from '../io/address.js';

/** How many runs the comparison draws on the same axes (one colour each stays tellable). */
export const MAX_COMPARED = 4;

/** Offers `blob` as a download named `name`. */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const fileStem = (run) => String(run.name).replace(/[^A-Za-z0-9._-]+/g, '_');

/** The text of a run file (read back by the crate: crate/src/run_file): the run and its best weights. */
function runFileText(run, weights) {
  const { historyLoaded, ...record } = run;
  return JSON.stringify({
    format: 'selfnorm-run',
    version: 1,
    exported: new Date().toISOString(),
    run: record,
    weights: weights ? { encoding: 'base64', format: 'safetensors', bytes: toBase64(weights) } : null,
  });
}

export function createLibrary(ctx) {
  const { state, client, phase, notices, persistence: store, invalidate } = ctx;
  const runById = (id) => state.runs.find((r) => r.id === id) ?? null;

  /**
   * Imports a run file's bytes through the crate's strict reader (in the worker): stored only
   * when every field is valid; a refusal names the file and the field. The run gets a new id,
   * so importing twice, or a run this browser already has, never overwrites anything. Answers
   * whether it imported.
   */
  async function importBytes(bytes, fileName) {
    try {
      const answer = await client.request(Request.READ_RUN_FILE, { bytes, fileName }, [bytes]);
      if (answer.problem) throw new Error(answer.problem);
      const { run: checked, weights } = answer;
      const run = {
        ...checked,
        history: { ...checked.history, probes: checked.history.probes.map(compactProbe) },
        id: makeId(),
        originalId: checked.id,
        progress: null,
        imported: true,
        importedFrom: fileName.slice(0, 200),
        hasWeights: Boolean(weights),
      };
      if (state.runs.some((r) => r.name === run.name)) run.name = `${run.name} (imported)`;
      state.runs.push(run);
      if (state.overlays.size < MAX_COMPARED) state.overlays.add(run.id);
      state.viewRunId = run.id;
      await store.saveNow(run);
      if (weights) await store.putWeights(run, weights);
      return true;
    } catch (error) {
      // A worker error (a stopped worker) is on the page already.
      if (!error.kind) notices.show(`Import failed: ${error.message}`);
      return false;
    } finally {
      invalidate();
    }
  }

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
      state.mcProgress = { runId: run.id, split, samples, done: 0, total: 1 + samples.reduce((a, n) => a + n, 0), next: 1, evaluations: [], startedAt: performance.now() };
      invalidate();
      try {
        const answer = await client.request(Request.MC_DROPOUT, { runId: run.id, split, samples });
        const result = { runId: run.id, split: answer.split, plain: answer.plain, mc: answer.mc, samples: samples.slice(0, answer.mc.length), stopped: answer.stopped, at: Date.now() };
        run.results = { ...run.results, mc: result };
        state.mc = result;
        store.saveNow(run);
      } catch {
        // The worker's error is on the page already.
      } finally {
        state.mcProgress = null;
        if (phase.is('mc')) phase.to('idle');
      }
    },

    /** Where MC Dropout stands: the worker's progress event before each of its evaluations. */
    onMcEvent(runId, event) {
      const progress = state.mcProgress;
      if (!progress || progress.runId !== runId || event.kind !== 'counted') return;
      Object.assign(progress, { done: event.done, total: event.total, next: event.next });
      if (event.evaluation) progress.evaluations = [...progress.evaluations, event.evaluation];
      invalidate();
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
      if (on && state.overlays.size < MAX_COMPARED) state.overlays.add(id);
      else if (!on) state.overlays.delete(id);
      invalidate();
    },

    /** Sets what the comparison shows (`{epoch}`: null for each run's end; `{statistic}`). */
    chooseComparison(choice) {
      state.comparison = { ...state.comparison, ...choice };
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
        download(new Blob([runFileText(run, weights)], { type: 'application/json' }), `${fileStem(run)}.selfnorm-run.json`);
      } catch (error) {
        notices.show(`Exporting ${run.name} failed: ${error.message}`);
      }
    },

    /** Downloads a run's epochs or probes (`table`) as CSV, written by the crate in the worker. */
    async exportCsv(id, table) {
      const run = runById(id);
      if (!run) return;
      try {
        await store.ensureHistory(run);
        // The histograms stay out of the CSV (and packed as they are, the crate would not read them).
        const probes = table === 'probes' ? run.history.probes.map(({ stats: { histograms, ...stats }, ...probe }) => ({ ...probe, stats })) : [];
        const epochs = table === 'epochs' ? run.history.epochs : [];
        const csv = await client.request(Request.HISTORY_CSV, { epochs, probes });
        download(new Blob([csv[table]], { type: 'text/csv' }), `${fileStem(run)}.${table}.csv`);
      } catch (error) {
        // A worker error is on the page already.
        if (!error.kind) notices.show(`Exporting the ${table} of ${run.name} as CSV failed: ${error.message}`);
      }
    },

    async importRuns(files) {
      for (const file of files) {
        let bytes;
        try {
          bytes = await file.arrayBuffer();
        } catch (error) {
          notices.show(`Import failed: ${file.name} could not be read (${error.message}).`);
          continue;
        }
        await importBytes(bytes, file.name);
      }
    },

    /**
     * Imports the run file at `address` (a link's `?run=`): fetched from any host that allows
     * it (CORS), then read as strictly as a picked file. Once imported, the address leaves the
     * page's URL, so a reload does not import it again.
     */
    async importFromUrl(address) {
      const url = httpAddress(address);
      if (!url) {
        notices.show(`The link's run= is not the address of a run file (got "${address.slice(0, 200)}"). Give an http(s) address, or import the file with Import runs….`);
        return false;
      }
      const fileName = fileNameOf(url);
      let bytes;
      try {
        const response = await fetch(url, { credentials: 'omit' });
        if (!response.ok) throw new Error(`the host answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
        bytes = await response.arrayBuffer();
      } catch (error) {
        const why = error instanceof TypeError
          ? 'the host cannot be reached, or it does not let other sites read the file (CORS)'
          : error.message;
        notices.show(`The run at ${url.href} could not be fetched: ${why}. Download the file and import it with Import runs…, or use a host that allows it.`);
        return false;
      }
      const imported = await importBytes(bytes, fileName);
      if (imported) {
        const params = new URLSearchParams(location.search);
        params.delete('run');
        const search = params.toString();
        history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}${location.hash}`);
      }
      return imported;
    },
  };
}
