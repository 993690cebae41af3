// What the page shows when it cannot start: which part failed, the browser's own message, and
// what to try. index.html has the box and a classic-script fallback for when boot.js itself
// cannot load; this module fills it in for failures boot.js catches.

/** The advice for a start that failed with `error`. */
export function startAdvice(error) {
  const text = String(error?.message ?? error);
  if (/fetch|import|load|network/i.test(text)) {
    return 'A file of the site could not be loaded: check the connection and reload. If the site was just deployed, reload once more (an old copy may be cached).';
  }
  if (/syntax|unexpected token|not supported|is not a function|is not defined/i.test(text)) {
    return 'This browser lacks a feature the page needs: use a current Chrome, Edge, Firefox or Safari.';
  }
  return 'Reload the page. If it fails again, clear this site\'s data in the browser\'s settings (stored runs are lost then: export them first if the page opens elsewhere) or try another current browser.';
}

export function showStartFailure(error, box = document.getElementById('start-failure')) {
  console.error('selfnorm could not start:', error);
  if (!box) return;
  const message = String(error?.message ?? error);
  box.querySelector('[data-part="what"]').textContent = `The page could not start: ${message}`;
  box.querySelector('[data-part="advice"]').textContent = startAdvice(error);
  box.hidden = false;
  document.documentElement.dataset.started = 'failed';
}
