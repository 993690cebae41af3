// Views re-render at most once per animation frame, whatever the number of state changes.

export function createRenderer(state) {
  const views = [];
  let frame = 0;
  function render() {
    frame = 0;
    for (const update of views) {
      try {
        update(state);
      } catch (error) {
        console.error(error);
      }
    }
    // The page shows once every view has drawn itself (styles.css): nothing moves into place.
    document.documentElement.dataset.rendered = 'true';
  }
  return {
    add(...updates) {
      views.push(...updates);
    },
    invalidate() {
      if (!frame) frame = requestAnimationFrame(render);
    },
  };
}
