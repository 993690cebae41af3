// What the page is doing, as one transition table: which phase may follow which. A request to
// move elsewhere is refused (and returns false), so an action cannot start mid-way through another.

/** phase → the phases that may follow it. Any phase may go to 'starting' (a new worker) or 'failed'. */
const NEXT = {
  starting: ['idle'],
  idle: ['configuring', 'lr-finding', 'measuring', 'lesson', 'exercise', 'loading-weights', 'mc'],
  configuring: ['training', 'idle'],
  training: ['pausing', 'stopping', 'saving-weights', 'paused', 'idle'],
  pausing: ['paused', 'stopping', 'saving-weights', 'idle'],
  paused: ['training', 'stopping', 'idle'],
  stopping: ['saving-weights', 'idle'],
  'saving-weights': ['idle'],
  'lr-finding': ['stopping', 'idle'],
  measuring: ['idle'],
  // A lesson's runs, sweeps and measurements all happen inside its one request.
  lesson: ['idle'],
  // So is the whole exercise.
  exercise: ['idle'],
  'loading-weights': ['idle'],
  mc: ['idle'],
  failed: ['idle'],
};

/** Phases during which the worker is busy: no new action, no backend switch. */
export const BUSY = new Set(Object.keys(NEXT).filter((p) => !['idle', 'failed', 'starting'].includes(p)));

export function createPhase(state, invalidate) {
  return {
    /** Moves to `next` if the table allows it; returns whether it did. */
    to(next) {
      const allowed = next === 'starting' || next === 'failed' || next === state.phase || NEXT[state.phase]?.includes(next);
      if (!allowed) return false;
      state.phase = next;
      invalidate();
      return true;
    },
    is(...phases) {
      return phases.includes(state.phase);
    },
  };
}
