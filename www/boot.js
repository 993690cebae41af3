// Starts the page. First the service worker (sw.js): it keeps the site for offline use and, on
// hosts that send no COOP/COEP headers, supplies them; on the first visit to such a host the page
// reloads once so that it comes through the worker. Then the app (main.js). Where there is no
// service worker or no isolation, the page still trains, and says what it does without.

const RELOADED = 'selfnorm-isolation-reload';

async function serviceWorker() {
  if (!('serviceWorker' in navigator)) {
    return { lost: 'no service worker here (browsers allow one only on https or localhost), so the site is not kept for offline use' };
  }
  try {
    await navigator.serviceWorker.register(new URL('sw.js', document.baseURI));
  } catch (error) {
    return { lost: `the service worker could not start (${error.message}), so the site is not kept for offline use` };
  }
  if (self.crossOriginIsolated || navigator.serviceWorker.controller) return {};
  // Once per tab session: a forced reload (which bypasses the worker) must not loop.
  if (sessionStorage.getItem(RELOADED)) return {};
  sessionStorage.setItem(RELOADED, '1');
  await navigator.serviceWorker.ready;
  return { reload: true };
}

function showSiteNotice(lost) {
  const notes = [];
  if (lost) notes.push(`Offline use is unavailable: ${lost}.`);
  if (!self.crossOriginIsolated) {
    notes.push('This page is not cross-origin isolated (the host sends no COOP/COEP headers and no service worker supplies them): training works the same, but the browser\'s memory measurement and SharedArrayBuffer (needed for multi-threaded wasm) are unavailable.');
  }
  const box = document.getElementById('site-notice');
  if (!box || !notes.length) return;
  box.textContent = notes.join(' ');
  box.hidden = false;
}

const { reload, lost } = await serviceWorker();
if (reload) {
  location.reload();
} else {
  showSiteNotice(lost);
  await import('./main.js');
}
