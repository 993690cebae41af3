// The page's side of the worker protocol (protocol.js): starts and restarts the worker, sends
// requests, and turns request/answer pairs into promises. Every message also goes to `onMessage`,
// which is where the page's state changes.
import { ToWorker, FromWorker } from './protocol.js';

/** The message that answers each request (requests not listed have no single answer). */
const ANSWERS = {
  [ToWorker.INIT]: FromWorker.READY,
  [ToWorker.CONFIGURE]: FromWorker.CONFIGURED,
  [ToWorker.FIND_LR]: FromWorker.LR_FOUND,
  [ToWorker.EVALUATE]: FromWorker.EVALUATION,
  [ToWorker.MC_DROPOUT]: FromWorker.MC_DROPOUT,
  [ToWorker.EXPORT_WEIGHTS]: FromWorker.WEIGHTS,
  [ToWorker.IMPORT_WEIGHTS]: FromWorker.IMPORTED,
  [ToWorker.LESSONS]: FromWorker.LESSONS,
  [ToWorker.ZERO_FRACTIONS]: FromWorker.ZERO_FRACTIONS,
  [ToWorker.PRUNE]: FromWorker.PRUNED,
  [ToWorker.LESSON_FINDING]: FromWorker.LESSON_FINDING,
};

export class WorkerError extends Error {
  constructor(message, { during = null, fatal = false } = {}) {
    super(message);
    this.name = 'WorkerError';
    this.during = during;
    this.fatal = fatal;
  }
}

export function createWorkerClient({ onMessage }) {
  let worker = null;
  let generation = 0;
  // The worker answers requests in order, so one FIFO per answer type is enough.
  const waiting = new Map();

  function rejectAll(error) {
    for (const queue of waiting.values()) for (const { reject } of queue) reject(error);
    waiting.clear();
  }

  function settle(type, value) {
    const queue = waiting.get(type);
    const entry = queue?.shift();
    if (entry) entry.resolve(value);
  }

  function start(backend) {
    stop();
    const mine = ++generation;
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      if (mine !== generation) return;
      if (data.type === FromWorker.ERROR) {
        const queue = waiting.get(ANSWERS[data.during]);
        const entry = queue?.shift();
        entry?.reject(new WorkerError(data.message, data));
      } else {
        settle(data.type, data);
      }
      onMessage(data);
    };
    worker.onerror = (event) => {
      if (mine !== generation) return;
      event.preventDefault();
      const detail = event.message || 'the worker script failed to load';
      const message = `The training worker stopped (${detail}). If the site was just checked out, build it with scripts/build-web; otherwise restart the worker below.`;
      rejectAll(new WorkerError(message, { fatal: true }));
      onMessage({ type: FromWorker.ERROR, during: null, fatal: true, message });
    };
    worker.onmessageerror = () => {
      onMessage({ type: FromWorker.ERROR, during: null, fatal: false, message: 'A message from the training worker could not be read.' });
    };
    return request(ToWorker.INIT, { backend });
  }

  function stop() {
    if (!worker) return;
    generation++;
    worker.terminate();
    worker = null;
    rejectAll(new WorkerError('the training worker was restarted', { during: null }));
  }

  function send(type, fields = {}, transfer = []) {
    if (!worker) throw new WorkerError('the training worker is not running');
    worker.postMessage({ type, ...fields }, transfer);
  }

  /** Sends `type` and resolves with its answer, or rejects with the worker's ERROR. */
  function request(type, fields = {}, transfer = []) {
    const answer = ANSWERS[type];
    return new Promise((resolve, reject) => {
      if (!waiting.has(answer)) waiting.set(answer, []);
      waiting.get(answer).push({ resolve, reject });
      try {
        send(type, fields, transfer);
      } catch (error) {
        waiting.get(answer).pop();
        reject(error);
      }
    });
  }

  return { start, stop, send, request, get running() { return worker !== null; } };
}
