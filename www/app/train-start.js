// A click on Train (or Step one epoch) always starts a run or says why not. What stands in the way
// is one function of the state; where it passes by itself (the worker starting, the dataset on
// its way) the click is kept and the run starts as soon as it has, so a click made as early as a
// person can is never lost.

const BUSY_TEXT = {
  configuring: 'a run is being set up',
  training: 'a run is training: pause or stop it first',
  pausing: 'a run is pausing: stop it first',
  paused: 'a run is paused: resume or stop it first',
  stopping: 'a run is stopping',
  'saving-weights': 'the last run\'s weights are being saved',
  'lr-finding': 'the LR finder is running',
  measuring: 'the speed is being measured',
  'loading-weights': 'weights are being loaded',
  mc: 'MC Dropout is running',
};

/**
 * What keeps a new run from starting now, as `{text, waits, until}` (`waits`: it passes by
 * itself, `until`: when), or null when a run can start.
 */
export function trainBlocker(state) {
  const { backend, data, phase } = state;
  if (['failed', 'crashed'].includes(backend.status) || phase === 'failed') {
    return { text: 'the training worker is not running (see the message above, or pick another backend)', waits: false };
  }
  if (backend.status === 'starting' || phase === 'starting') return { text: 'the training worker is starting', until: 'the training worker is ready', waits: true };
  if (state.conversion?.status === 'running') return { text: 'the dataset is being made from the archive', until: 'the dataset is made', waits: true };
  if (data.status === 'absent' && data.seekingArchive) return { text: 'the page is looking for the dataset\'s archive', until: 'the dataset is made', waits: true };
  if (data.status === 'absent') return { text: 'there is no dataset yet: add CIFAR-10 in the Dataset panel', waits: false };
  if (data.status === 'error') return { text: 'the dataset did not load (see the Dataset panel)', waits: false };
  if (data.consent) return { text: 'the dataset download waits for your yes in the Dataset panel', waits: false };
  if (!data.worker?.ready_to_train) return { text: 'the first shards of the dataset are loading', until: 'the first shards are in', waits: true };
  if (state.lessons.active) return { text: 'a lesson is running: stop it first', waits: false };
  if (phase !== 'idle') return { text: BUSY_TEXT[phase] ?? `the page is busy (${phase})`, waits: false };
  return null;
}

export function createTrainStart({ state, invalidate }, runs) {
  let waiting = null;

  function say(status, text) {
    if (state.trainRequest?.text === text) return;
    state.trainRequest = { status, text };
    invalidate();
  }

  /** Starts the run with the settings as they are now (the form may have changed while it waited). */
  function begin({ makeSpec, options }) {
    waiting = null;
    state.trainRequest = null;
    let spec;
    try {
      spec = makeSpec();
    } catch (error) {
      say('refused', `Train did not start: check the settings (${error.message}).`);
      return null;
    }
    return runs.begin(spec, options);
  }

  function wait(blocker) {
    if (blocker.waits) {
      say('waiting', `Train: the run starts by itself once ${blocker.until}.`);
    } else {
      waiting = null;
      say('refused', `Train cannot start now: ${blocker.text}.`);
    }
  }

  return {
    /**
     * Starts a run of the spec `makeSpec()` gives now, or once what keeps it waiting has passed,
     * or says why not.
     */
    request(makeSpec, options) {
      const blocker = trainBlocker(state);
      if (!blocker) return begin({ makeSpec, options });
      waiting = { makeSpec, options };
      wait(blocker);
      return null;
    },

    /** Runs on every render: starts a waiting run once nothing stands in the way. */
    update() {
      const blocker = trainBlocker(state);
      if (waiting && !blocker) begin(waiting);
      else if (waiting) wait(blocker);
      else if (state.trainRequest && !blocker) {
        state.trainRequest = null;
        invalidate();
      }
    },
  };
}
