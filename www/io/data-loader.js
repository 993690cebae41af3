// Fetches a prepared dataset: manifest.json, then the standardization file and
// the shards in the order training needs them (stats, valid, train-000, the other train shards,
// test). Every file's size and SHA-256 are checked against the manifest; verified files go into
// the Cache API so that a reload starts training without downloading again (cached bytes are
// verified too). Each verified file is handed over as soon as it is ready, so training can start
// while the rest streams in. The manifest is cached too: offline, or on a host without the
// dataset, the copy in the browser is used (one made in the page from the official archive by
// dataset-archive.js is stored the same way).

import { httpAddress } from './address.js';

export const CACHE_NAME = 'selfnorm-data-v1';
const FORMAT = 'selfnorm-shards';
const VERSION = 1;
const SPLITS = ['train', 'valid', 'test'];

/** A dataset problem the page shows as is: what is wrong, which file, what to do. */
export class DatasetError extends Error {
  /** `absent`: the host and the browser have no copy of this dataset at all (not a fault). */
  constructor(message, { file = null, hint = null, absent = false } = {}) {
    super(message);
    this.name = 'DatasetError';
    this.file = file;
    this.hint = hint;
    this.absent = absent;
  }
}

/** The command that prepares dataset `name` (the page's advice when it is missing). */
export function prepareCommand(name) {
  if (name === 'cifar10') return 'scripts/prepare-data';
  if (name === 'fashion-mnist') return 'scripts/prepare-data --fashion-mnist';
  return `scripts/prepare-data --out data/${name}`;
}

/** What to do about dataset `name` being missing or damaged. */
function remedy(name, what) {
  if (isUrl(name)) return `Check that ${name} serves manifest.json and the shards, with CORS allowed (Access-Control-Allow-Origin), or host the output of scripts/prepare-data there again.`;
  const archive = { cifar10: 'the CIFAR-10 archive', 'fashion-mnist': "Fashion-MNIST's four files" }[name];
  const page = archive ? ` Or, with only a browser: "Use the CIFAR-10 archive on this computer" in the dataset panel converts ${archive} in this page.` : '';
  return `${what}${page}`;
}

const isUrl = (name) => name.includes('/');

/** Where dataset `name` lives: `data/<name>/` beside the site, or the URL given as `?shards=`. */
export function datasetBase(name, siteUrl) {
  return new URL(isUrl(name) ? name.replace(/\/?$/, '/') : `data/${name}/`, siteUrl);
}

/** The folder a message names for dataset `name`. */
const folder = (name) => (isUrl(name) ? name.replace(/\/?$/, '/') : `data/${name}/`);

/** The Cache API key of a verified file: its URL and SHA-256, so another version never matches. */
export function cacheKey(base, file) {
  return `${new URL(file.file, base).href}?sha256=${file.sha256}`;
}

/** The Cache API key of a dataset's manifest (the last one loaded or made in the page). */
export function manifestKey(base) {
  return new URL('manifest.json', base).href;
}

/**
 * The dataset the page loads: `?shards=URL` (a folder of shards + manifest.json on any host that
 * allows CORS), else `?data=NAME` (a folder under data/, default `cifar10`), checked.
 */
export function datasetName(search = location.search) {
  const params = new URLSearchParams(search);
  const shards = params.get('shards');
  if (shards) {
    const url = httpAddress(shards);
    if (!url) throw new DatasetError(`"${shards}" is not an http(s) address of a dataset folder (?shards=URL).`);
    return url.href;
  }
  const name = params.get('data') || 'cifar10';
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.includes('..')) {
    throw new DatasetError(`"${name}" is not a dataset folder name (letters, digits, '.', '_' and '-' only).`);
  }
  return name;
}

/** Checks the fields the loader relies on; the worker checks the rest again (Manifest::parse). */
export function checkManifest(manifest, name) {
  const bad = (problem) => new DatasetError(`${folder(name)}manifest.json is malformed: ${problem}.`, {
    file: 'manifest.json',
    hint: remedy(name, `Delete data/${name}/ and run ${prepareCommand(name)} again.`),
  });
  if (!manifest || typeof manifest !== 'object') throw bad('it is not a JSON object');
  if (manifest.format !== FORMAT) throw bad(`format is ${JSON.stringify(manifest.format)}, expected "${FORMAT}"`);
  if (manifest.version !== VERSION) throw bad(`format version ${JSON.stringify(manifest.version)}; this page reads version ${VERSION}`);
  const isFile = (f) => f && typeof f.file === 'string' && /^[A-Za-z0-9._-]+$/.test(f.file) && !f.file.includes('..')
    && Number.isInteger(f.bytes) && f.bytes > 0 && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256);
  if (!isFile(manifest.standardization)) throw bad('the "standardization" entry needs a plain file name, a byte size and a sha256');
  for (const split of SPLITS) {
    const info = manifest[split];
    if (!info || !Array.isArray(info.shards) || info.shards.length === 0) throw bad(`split "${split}" lists no shards`);
    for (const shard of info.shards) {
      if (!isFile(shard) || !Number.isInteger(shard.records)) throw bad(`a shard of split "${split}" lacks a plain file name, records, bytes or sha256`);
    }
  }
}

/** The files in loading order: stats, valid, train-000, other train shards, test. */
export function loadingOrder(manifest) {
  const shard = (split) => (info, index) => ({ kind: 'shard', split, index, file: info.file, bytes: info.bytes, sha256: info.sha256, records: info.records });
  const train = manifest.train.shards.map(shard('train'));
  return [
    { kind: 'stats', split: null, index: 0, file: manifest.standardization.file, bytes: manifest.standardization.bytes, sha256: manifest.standardization.sha256, records: 0 },
    ...manifest.valid.shards.map(shard('valid')),
    ...train.slice(0, 1),
    ...train.slice(1),
    ...manifest.test.shards.map(shard('test')),
  ];
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Loads dataset `name`. Callbacks (all optional):
 * - `onManifest({manifest, text, files})` once the manifest is read and checked;
 * - `onProgress(file, loadedBytes)` while a file streams in;
 * - `onFile(file, {source: 'network'|'cache', buffer, seconds})` for each verified file, in order
 *   (`buffer` may be transferred: the loader keeps no reference to it);
 * - `onNotice(text)` for problems that do not stop loading (e.g. the cache is unavailable).
 * Rejects with a `DatasetError` (or an `AbortError` when `signal` fires).
 */
export async function loadDataset(name, { onManifest, onProgress, onFile, onNotice, signal } = {}) {
  const base = datasetBase(name, document.baseURI);
  const cache = await openCache(onNotice);
  const { manifest, text } = await readManifest(name, base, cache, { signal, onNotice });
  const files = loadingOrder(manifest);
  onManifest?.({ manifest, text, files });

  if (cache) await dropStaleEntries(cache, base, files);
  for (const file of files) {
    signal?.throwIfAborted();
    const url = new URL(file.file, base);
    const key = cacheKey(base, file);
    const start = performance.now();
    const cached = cache ? await readCached(cache, key, file) : null;
    if (cached) {
      onProgress?.(file, file.bytes);
      onFile?.(file, { source: 'cache', buffer: cached, seconds: (performance.now() - start) / 1000 });
      continue;
    }
    const buffer = await download(url, file, name, { onProgress, signal });
    await verify(buffer, file, name);
    if (cache) {
      // The Response copies the bytes now, so the buffer can be transferred right after.
      cache.put(key, new Response(new Blob([buffer]), { headers: { 'Content-Type': 'application/octet-stream' } }))
        .catch((error) => onNotice?.(`${file.file} could not be cached (${error.message}); the next visit downloads it again.`));
    }
    onFile?.(file, { source: 'network', buffer, seconds: (performance.now() - start) / 1000 });
  }
}

/**
 * The dataset's manifest, parsed and checked: from the network (then kept in the cache), or the
 * copy in the cache when the network has none (offline, a host without the dataset, or one that
 * answers with something else).
 */
async function readManifest(name, base, cache, { signal, onNotice }) {
  const where = `${folder(name)}manifest.json`;
  const keptText = async () => (cache ? cache.match(manifestKey(base)).then((r) => r?.text(), () => null) : null);
  const fallback = async (why) => {
    const text = await keptText();
    if (!text) return null;
    onNotice?.(`${why}, so the copy of this dataset kept in the browser is used.`);
    return parseManifest(text, name);
  };
  let response;
  try {
    response = await fetch(manifestKey(base), { signal, cache: 'no-cache' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    const kept = await fallback(`${where} cannot be reached (${error.message})`);
    if (kept) return kept;
    throw new DatasetError(`Could not reach ${where} (${error.message}). Is the site's server still running?`, { file: 'manifest.json' });
  }
  if (response.status === 404) {
    // A host without the dataset is the usual case for one made in the page: no notice then.
    const kept = await keptText();
    if (kept) return parseManifest(kept, name);
    throw new DatasetError(`No prepared dataset "${name}": ${where} was not found (HTTP 404).`, {
      file: 'manifest.json',
      hint: remedy(name, `Run ${prepareCommand(name)} in the repository to download and prepare it, then reload this page.`),
      absent: true,
    });
  }
  if (!response.ok) {
    const kept = await fallback(`The server has no ${where} (HTTP ${response.status})`);
    if (kept) return kept;
  }
  if (!response.ok) {
    throw new DatasetError(`${where} could not be loaded (HTTP ${response.status} ${response.statusText}).`, { file: 'manifest.json' });
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = parseManifest(text, name);
  } catch (error) {
    const kept = await fallback(`${where} is not a dataset manifest`);
    if (kept) return kept;
    throw error;
  }
  cache?.put(manifestKey(base), new Response(text, { headers: { 'Content-Type': 'application/json' } })).catch(() => {
    // Without it only the offline start is lost; the shards' own caching reports problems.
  });
  return parsed;
}

function parseManifest(text, name) {
  let manifest;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(`${folder(name)}manifest.json is not valid JSON (${error.message}).`, {
      file: 'manifest.json',
      hint: remedy(name, `Delete data/${name}/ and run ${prepareCommand(name)} again.`),
    });
  }
  checkManifest(manifest, name);
  return { manifest, text };
}

async function openCache(onNotice) {
  if (!('caches' in self)) {
    onNotice?.('This browser offers no Cache API here (it needs https or localhost), so the dataset is downloaded on every visit.');
    return null;
  }
  try {
    return await caches.open(CACHE_NAME);
  } catch (error) {
    onNotice?.(`The dataset cache could not be opened (${error.message}); the dataset is downloaded on every visit.`);
    return null;
  }
}

/** Removes cached versions of this dataset's files that the manifest no longer lists. */
async function dropStaleEntries(cache, base, files) {
  const wanted = new Set([manifestKey(base), ...files.map((f) => cacheKey(base, f))]);
  try {
    for (const request of await cache.keys()) {
      if (request.url.startsWith(base.href) && !wanted.has(request.url)) await cache.delete(request);
    }
  } catch {
    // A cache that cannot be listed is only a missed clean-up.
  }
}

/** The cached bytes of `file` if they are there and still match the manifest, else null. */
async function readCached(cache, key, file) {
  try {
    const hit = await cache.match(key);
    if (!hit) return null;
    const buffer = await hit.arrayBuffer();
    if (buffer.byteLength === file.bytes && (await sha256Hex(buffer)) === file.sha256) return buffer;
    await cache.delete(key);
  } catch {
    // Fall back to the network.
  }
  return null;
}

async function download(url, file, name, { onProgress, signal }) {
  let response;
  try {
    response = await fetch(url, { signal, cache: 'no-cache' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new DatasetError(`Downloading ${file.file} failed (${error.message}).`, { file: file.file, hint: 'Check that the server is running, then reload.' });
  }
  if (!response.ok) {
    throw new DatasetError(`${file.file} is listed in ${folder(name)}manifest.json but could not be loaded (HTTP ${response.status}).`, {
      file: file.file,
      hint: remedy(name, `The dataset folder is incomplete: delete data/${name}/ and run ${prepareCommand(name)} again.`),
    });
  }
  const mismatch = (got) => new DatasetError(`${file.file} has ${got} bytes, but the manifest lists ${file.bytes}.`, {
    file: file.file,
    hint: remedy(name, `The file is damaged or from another preparation: delete data/${name}/ and run ${prepareCommand(name)} again.`),
  });
  const declared = Number(response.headers.get('Content-Length'));
  if (declared && declared !== file.bytes) throw mismatch(declared);
  const bytes = new Uint8Array(file.bytes);
  let loaded = 0;
  let lastReport = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.byteLength > file.bytes) {
      await reader.cancel();
      throw mismatch(`more than ${file.bytes}`);
    }
    bytes.set(value, loaded);
    loaded += value.byteLength;
    const now = performance.now();
    if (now - lastReport > 50) {
      lastReport = now;
      onProgress?.(file, loaded);
    }
  }
  if (loaded !== file.bytes) throw mismatch(loaded);
  onProgress?.(file, loaded);
  return bytes.buffer;
}

async function verify(buffer, file, name) {
  const digest = await sha256Hex(buffer);
  if (digest !== file.sha256) {
    throw new DatasetError(`${file.file} failed its SHA-256 check: got ${digest.slice(0, 12)}…, the manifest lists ${file.sha256.slice(0, 12)}….`, {
      file: file.file,
      hint: remedy(name, `The file is corrupted: delete data/${name}/ and run ${prepareCommand(name)} again.`),
    });
  }
}

/**
 * The datasets kept in this browser's cache, by their manifests: `[{base, name, files, kept,
 * bytes}]`, where `kept` of the manifest's `files` are in the cache, `bytes` in all (with the
 * manifest). A manifest that does not parse is listed with what it holds unknown (`files: 0`).
 */
export async function keptDatasets() {
  if (!('caches' in self)) return [];
  const cache = await caches.open(CACHE_NAME);
  const keys = new Set((await cache.keys()).map((r) => r.url));
  const found = [];
  for (const url of keys) {
    if (!url.endsWith('/manifest.json')) continue;
    const base = new URL('./', url);
    const text = await (await cache.match(url))?.text() ?? '';
    let files = [];
    try {
      files = loadingOrder(JSON.parse(text));
    } catch {
      // Listed all the same, so that it can be removed.
    }
    const kept = files.filter((f) => keys.has(cacheKey(base, f)));
    found.push({ base: base.href, name: datasetLabel(base), files: files.length, kept: kept.length, bytes: new Blob([text]).size + kept.reduce((a, f) => a + f.bytes, 0) });
  }
  return found;
}

/** How a dataset's folder reads: its name beside the site, else its address. */
function datasetLabel(base) {
  const own = new URL('data/', document.baseURI).href;
  return base.href.startsWith(own) ? base.href.slice(own.length).replace(/\/$/, '') : base.href;
}

/** Removes every file of the dataset at `base` (a folder URL) from the cache; resolves with how many. */
export async function forgetDataset(base) {
  const cache = await caches.open(CACHE_NAME);
  let removed = 0;
  for (const request of await cache.keys()) {
    if (request.url.startsWith(base) && (await cache.delete(request))) removed += 1;
  }
  return removed;
}
