// Starts the page. First the service worker (sw.js): it keeps the site for offline use and, on
// hosts that send no COOP/COEP headers, supplies them; on the first visit to such a host the page
// reloads once so that it comes through the worker. Then the app (main.js). Where there is no
// service worker or no isolation, the page still trains, and says what it does without. A start
// that fails (a module that does not load, or throws) is never a blank page: index.html's
// #start-failure says what failed and what to try.
import { pinLocale } from './views/locale.js';
import { showStartFailure } from './views/start-failure.js';

document.documentElement.dataset.started = 'booting';

const RELOADED = 'selfnorm-isolation-reload';

async function serviceWorker() {
  if (!('serviceWorker' in navigator)) {
    return { lost: 'no service worker here (browsers allow one only on https or localhost), so the site is not kept for offline use' };
  }
  let registration;
  try {
    registration = await navigator.serviceWorker.register(new URL('sw.js', document.baseURI));
  } catch (error) {
    return { lost: `the service worker could not start (${error.message}), so the site is not kept for offline use` };
  }
  if (self.crossOriginIsolated || navigator.serviceWorker.controller) return {};
  // Once per tab session: a forced reload (which bypasses the worker) must not loop.
  if (sessionStorage.getItem(RELOADED)) return {};
  say('Keeping the site in this browser for offline use (a one-time download), then reloading once…');
  if (!(await activated(registration))) {
    return { lost: 'the service worker could not keep the site (a download failed while it installed)' };
  }
  sessionStorage.setItem(RELOADED, '1');
  return { reload: true };
}

/** Whether the registration's worker becomes active (false when its install fails). */
function activated(registration) {
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  return new Promise((resolve) => {
    const check = () => {
      if (worker.state === 'activated') resolve(true);
      if (worker.state === 'redundant') resolve(false);
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

function say(text) {
  const box = document.getElementById('site-notice');
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

function showSiteNotice(lost) {
  const notes = [];
  if (lost) notes.push(`Offline use is unavailable: ${lost}.`);
  if (!self.crossOriginIsolated) {
    notes.push('This page is not cross-origin isolated (the host sends no COOP/COEP headers and no service worker supplies them): training works the same, but the browser\'s memory measurement and SharedArrayBuffer (needed for multi-threaded wasm) are unavailable.');
  }
  say(notes.join(' '));
}

const pinned = pinLocale();
if (pinned) document.documentElement.dataset.pinnedLocale = pinned;
const { reload, lost } = await serviceWorker().catch((error) => ({ lost: `the service worker failed (${error.message})` }));
if (reload) {
  location.reload();
} else {
  showSiteNotice(lost);
  try {
    await import('./main.js');
    document.documentElement.dataset.started = 'true';
  } catch (error) {
    showStartFailure(error);
  }
}
