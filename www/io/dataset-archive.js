// The dataset made in the browser from the files its home page distributes: the CIFAR-10 binary
// archive, or Fashion-MNIST's four IDX files. The crate converts them (crate/src/data/convert, in
// wasm in archive-worker.js); this module moves the bytes: it reads each file as a stream
// (gunzip with DecompressionStream), hands the chunks to the converter, and stores the shards it
// returns, and then the statistics file and the manifest, in the Cache API, where the data
// loader finds them.
import { DatasetError, cacheKey, manifestKey, datasetBase, CACHE_NAME } from './data-loader.js';
import { fileNameOf } from './address.js';

/**
 * Converts `files` (picked File objects, or `remoteArchive`s) with the crate's `converter`
 * (a DatasetConverter for their names), storing what it returns in `await openStore(dataset)`.
 * Reports `onProgress({phase, loaded, total})` (bytes of the files read) and `onNotice(text)` for
 * what does not stop the conversion (an MD5 other than the official one). Resolves with the
 * dataset's name; rejects with a `DatasetError` that names the file at fault.
 */
export async function convertDatasetFiles(files, converter, openStore, { onProgress = () => {}, onNotice = () => {} } = {}) {
  const byName = new Map(Array.from(files, (f) => [f.name, f]));
  const progress = { phase: 'reading', loaded: 0, total: Array.from(files).reduce((sum, f) => sum + f.size, 0) };
  const dataset = converter.dataset();
  const store = await openStore(dataset);
  const put = (outputs) => Promise.all(outputs.map((out) => store.put(out, out.bytes)));
  for (const name of converter.files()) {
    const file = byName.get(name);
    const before = progress.loaded;
    converter.beginFile(name);
    await readGzip(file, {
      compressed: (chunk) => converter.compressed(chunk),
      decompressed: (chunk) => put(converter.push(chunk)),
      read: (bytes) => {
        progress.loaded = before + bytes;
        onProgress({ ...progress });
      },
    });
    const notice = converter.endFile();
    if (notice) onNotice(notice);
  }
  progress.phase = 'statistics';
  onProgress({ ...progress });
  // finish() consumes the converter.
  const { stats, manifest } = converter.finish();
  await put([stats]);
  await store.putManifest(manifest);
  return dataset;
}

// ---- reading ----------------------------------------------------------------------------------

/**
 * Streams `file` (a picked File, or a download from `remoteArchive`) through gunzip: each
 * compressed chunk to `compressed`, each decompressed one to `decompressed` (awaited), the
 * compressed bytes read so far to `read`.
 */
async function readGzip(file, { compressed, decompressed, read: onRead }) {
  const head = [];
  let read = 0;
  let lastReport = 0;
  let notGzip = null;
  const tap = new TransformStream({
    transform(chunk, controller) {
      // The signature is checked on the stream itself, so a download is read only once.
      if (head.length < 2) {
        head.push(...chunk.subarray(0, 2 - head.length));
        if (head.length === 2 && (head[0] !== 0x1f || head[1] !== 0x8b)) {
          notGzip = new DatasetError(`${file.name} is not a gzip file (it does not start with the gzip signature 1f 8b).`, {
            file: file.name,
            hint: file.url
              ? `Check that ${file.url} serves the .gz file itself (some hosts unpack it on the way, with Content-Encoding: gzip).`
              : 'Choose the .gz file exactly as downloaded, not an unpacked or renamed copy.',
          });
          throw notGzip;
        }
      }
      compressed(chunk);
      read += chunk.length;
      const now = performance.now();
      if (now - lastReport > 100 || read === file.size) {
        lastReport = now;
        onRead(read);
      }
      controller.enqueue(chunk);
    },
  });
  const reader = file.stream().pipeThrough(tap).pipeThrough(new DecompressionStream('gzip')).getReader();
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch (error) {
      if (notGzip) throw notGzip;
      throw new DatasetError(`${file.name} could not be ${file.url ? 'downloaded and ' : ''}decompressed (${error.message}): the file is damaged or cut short${file.url ? ', or the download broke off' : ''}.`, {
        file: file.name,
        hint: file.url ? 'Reload the page to try again.' : 'Download it again.',
      });
    }
    if (step.done) break;
    try {
      await decompressed(step.value);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
  }
  if (head.length < 2) throw new DatasetError(`${file.name} is empty.`, { file: file.name, hint: 'Choose the .gz file exactly as downloaded.' });
  onRead(Math.max(read, file.size));
}

/**
 * The archive at `url` as the converter reads a picked file: `{name, size, url, stream()}`, its
 * bytes read once as they download. `size` is 0 when the host does not say.
 */
export async function remoteArchive(url) {
  const name = fileNameOf(url);
  const unreachable = (why) => new DatasetError(`The archive at ${url} could not be downloaded (${why}).`, {
    file: name,
    hint: 'Check the address, that its host is up and that it allows this site to read it (CORS: Access-Control-Allow-Origin), or pick the file in the Dataset panel.',
  });
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw unreachable(error.message);
  }
  if (!response.ok) throw unreachable(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const declared = Number(response.headers.get('Content-Length'));
  const size = response.headers.get('Content-Encoding') ? 0 : declared || 0;
  return { name, size, url, stream: () => response.body };
}

// ---- where the shards go ----------------------------------------------------------------------

/** The dataset cache (the one the data loader reads) as a shard store for dataset `name`. */
export async function cacheStore(name, siteUrl) {
  const base = datasetBase(name, siteUrl);
  const cache = await caches.open(CACHE_NAME);
  return {
    put: (file, bytes) => cache.put(cacheKey(base, file), new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } })),
    putManifest: (text) => cache.put(manifestKey(base), new Response(text, { headers: { 'Content-Type': 'application/json' } })),
  };
}

/**
 * Runs `convertDatasetFiles` in a worker (archive-worker.js) on `{files}` (picked or dropped) or
 * `{url}` (an archive the worker downloads), with the same callbacks; resolves with
 * `{name, seconds}` or rejects with a `DatasetError`.
 */
export function convertInWorker({ files = [], url = null }, { onProgress = () => {}, onNotice = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../archive-worker.js', import.meta.url), { type: 'module' });
    const start = performance.now();
    const end = () => {
      worker.terminate();
      return (performance.now() - start) / 1000;
    };
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') onProgress(data.progress);
      else if (data.type === 'notice') onNotice(data.text);
      else if (data.type === 'done') resolve({ name: data.name, seconds: end() });
      else {
        end();
        reject(new DatasetError(data.message, { file: data.file, hint: data.hint }));
      }
    };
    worker.onerror = (event) => {
      end();
      reject(new DatasetError(`The conversion stopped: ${event.message ?? 'the worker failed to start'}.`));
    };
    worker.postMessage({ files: Array.from(files), url, siteUrl: document.baseURI });
  });
}
