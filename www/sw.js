// The site's service worker. It keeps the app shell (HTML, JS, CSS, wasm) so that the page opens
// and trains offline after a first visit (the dataset itself is in the data loader's cache), and it
// adds the cross-origin isolation headers (COOP/COEP) to what it serves, so that hosts that cannot
// set headers (GitHub Pages, a plain file server) still give an isolated page: the technique of
// coi-serviceworker. Same-origin responses only; dataset files and other origins pass untouched.

// scripts/build-site replaces this line with the build's version and file list; without it (the
// unbuilt www/ folder) the worker only adds the headers.
const BUILD = null;
const PREFIX = 'selfnorm-site-';
const CACHE = BUILD && `${PREFIX}${BUILD.version}`;
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

self.addEventListener('install', (event) => {
  self.skipWaiting();
  if (BUILD) event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(BUILD.files)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (request.method !== 'GET' || url.origin !== scope.origin) return;
  // The data loader verifies and caches dataset files itself.
  if (url.pathname.startsWith(`${scope.pathname}data/`)) return;
  event.respondWith(respond(request));
});

/** Pages: the network first (a new deploy shows at once), the kept shell offline; files: the kept copy first. */
async function respond(request) {
  const cache = CACHE ? await caches.open(CACHE) : null;
  if (request.mode === 'navigate') {
    try {
      return isolated(await fetch(request));
    } catch (error) {
      const kept = await cache?.match(request, { ignoreSearch: true });
      if (kept) return isolated(kept);
      throw error;
    }
  }
  return isolated((await cache?.match(request)) ?? (await fetch(request)));
}

function isolated(response) {
  if (response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
