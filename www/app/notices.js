// Errors and notices shown at the top of the page (the newest 20).

export function createNotices(state, invalidate) {
  let count = 0;
  return {
    show(message, { hint = null, fatal = false, during = null, kind = 'error', actions = null } = {}) {
      state.errors.push({ id: ++count, message, hint, fatal, during, kind, actions, time: Date.now() });
      if (state.errors.length > 20) state.errors.shift();
      invalidate();
    },
    dismiss(id) {
      state.errors = state.errors.filter((e) => e.id !== id);
      invalidate();
    },
  };
}
