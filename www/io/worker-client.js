// The page's side of the worker protocol (protocol.js): starts and restarts the worker, sends
// requests with ids and resolves each one's promise with the answer that carries its id. Events
// and data statuses go to `onEvent` / `onDataStatus`; errors that belong to no pending request to
// `onError`.
import { Request, Message } from './protocol.js';

class WorkerError extends Error {
  constructor(message, { kind = 'error', fatal = false, runId = null, request = null } = {}) {
    super(message);
    this.name = 'WorkerError';
    this.kind = kind;
    this.fatal = fatal;
    this.runId = runId;
    this.request = request;
  }
}

export function createWorkerClient({ onEvent, onDataStatus, onError }) {
  let worker = null;
  let generation = 0;
  let nextId = 1;
  /** id → {resolve, reject, type} */
  const pending = new Map();

  function rejectAll(error) {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  }

  function receive(data) {
    if (data.type === Message.EVENT) return onEvent(data);
    if (data.type === Message.DATA_STATUS) return onDataStatus(data.status);
    const entry = pending.get(data.id);
    pending.delete(data.id);
    if (data.type === Message.ANSWER) return entry?.resolve(data.value);
    const error = new WorkerError(data.message, { ...data, request: entry?.type ?? null });
    // Every error is the page's to show; the request's promise rejects too, so its action ends.
    onError(error);
    entry?.reject(error);
  }

  function start(backend) {
    stop();
    const mine = ++generation;
    worker = new Worker(new URL('../worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (mine === generation) receive(data);
    };
    worker.onerror = (event) => {
      if (mine !== generation) return;
      event.preventDefault();
      const detail = event.message || 'the worker script failed to load';
      const error = new WorkerError(`The training worker stopped (${detail}). If the site was just checked out, build it with scripts/build-web; otherwise restart the worker below.`, { kind: 'engine', fatal: true });
      onError(error);
      rejectAll(error);
    };
    worker.onmessageerror = () => onError(new WorkerError('A message from the training worker could not be read.'));
    return request(Request.INIT, { backend });
  }

  function stop() {
    if (!worker) return;
    generation++;
    worker.terminate();
    worker = null;
    rejectAll(new WorkerError('the training worker was restarted', { kind: 'restarted' }));
  }

  /** Sends `type` and resolves with its answer, or rejects with its error (a WorkerError). */
  function request(type, fields = {}, transfer = []) {
    return new Promise((resolve, reject) => {
      if (!worker) {
        reject(new WorkerError('the training worker is not running', { kind: 'restarted' }));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve, reject, type });
      worker.postMessage({ id, type, ...fields }, transfer);
    });
  }

  return { start, stop, request, get running() { return worker !== null; } };
}
