// The dataset made in the browser from the files its home page distributes: the CIFAR-10 binary
// archive, or Fashion-MNIST's four IDX files. They are read as a stream (gunzip with
// DecompressionStream, then tar or IDX, MD5 on the way), cut into the shards that
// `selfnorm prepare-data` writes (shard-writer.js), and stored with a manifest in the Cache API,
// where the data loader finds them.
import { Md5 } from './md5.js';
import { TarReader, TarError } from './tar-reader.js';
import { IdxReader } from './idx-reader.js';
import { shardPlan, ShardWriter, writeStatsAndManifest, VALID_RECORDS } from './shard-writer.js';
import { DatasetError, cacheKey, manifestKey, datasetBase, CACHE_NAME } from './data-loader.js';
import { fileNameOf } from './address.js';

const CIFAR10 = {
  name: 'cifar10',
  classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  imageShape: [3, 32, 32],
  dir: 'cifar-10-batches-bin',
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: 'test_batch.bin',
  batchRecords: 10_000,
  // The MD5 that https://www.cs.toronto.edu/~kriz/cifar-10.html lists for cifar-10-binary.tar.gz.
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  home: 'https://www.cs.toronto.edu/~kriz/cifar-10.html',
};

const FASHION = {
  name: 'fashion-mnist',
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  imageShape: [1, 28, 28],
  // The four files and the MD5 sums the dataset's repository lists for them.
  files: {
    trainImages: ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
    trainLabels: ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
    testImages: ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
    testLabels: ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
  },
  home: 'https://github.com/zalandoresearch/fashion-mnist',
};

/**
 * Converts the picked `files` into dataset shards in `await openStore(datasetName)` (see
 * `cacheStore`). Reports
 * `onProgress({phase, loaded, total})` (bytes of the files read) and `onNotice(text)` for what
 * does not stop the conversion (an MD5 other than the official one). Resolves with
 * `{name, manifest}`; rejects with a `DatasetError` that names the file at fault.
 */
export async function convertDatasetFiles(files, openStore, { onProgress = () => {}, onNotice = () => {} } = {}) {
  const list = Array.from(files);
  const fashionNames = Object.values(FASHION.files).map(([name]) => name);
  const total = list.reduce((sum, f) => sum + f.size, 0);
  const progress = { phase: 'reading', loaded: 0, total };
  const reading = () => {
    const before = progress.loaded;
    return (read) => {
      progress.loaded = before + read;
      onProgress({ ...progress });
    };
  };
  const onPhase = (phase) => {
    progress.phase = phase;
    onProgress({ ...progress });
  };
  const context = { openStore, reading, onNotice, onPhase };
  if (list.some((f) => fashionNames.includes(f.name))) return convertFashion(list, context);
  if (list.length !== 1) {
    throw new DatasetError(`${list.length} files were given: choose the single cifar-10-binary.tar.gz, or Fashion-MNIST's four .gz files (${fashionNames.join(', ')}).`);
  }
  return convertCifar(list[0], context);
}

// ---- CIFAR-10 ---------------------------------------------------------------------------------

async function convertCifar(file, { openStore, reading, onNotice, onPhase }) {
  const spec = CIFAR10;
  const store = await openStore(spec.name);
  const recordBytes = 1 + spec.imageShape.reduce((a, b) => a * b);
  const batchBytes = spec.batchRecords * recordBytes;
  const notCifar = (why) => new DatasetError(`${file.name} is not the CIFAR-10 binary archive: ${why}.`, {
    file: file.name,
    hint: `Choose cifar-10-binary.tar.gz as downloaded from ${spec.home} (the "CIFAR-10 binary version (suitable for C programs)", 162 MB).`,
  });
  const plan = shardPlan(spec.train.length * spec.batchRecords, spec.batchRecords, recordBytes);
  const where = (names) => (record) => `${spec.dir}/${names[Math.floor(record / spec.batchRecords)]}, record ${record % spec.batchRecords}`;
  const full = new ShardWriter(plan.full, { recordBytes, classes: spec.classes.length, describe: where(spec.train), store, file });
  const test = new ShardWriter(plan.test, { recordBytes, classes: spec.classes.length, describe: where([spec.test]), store, file });
  const seen = new Set();
  const names = [];
  const tar = new TarReader(({ name, size }) => {
    names.push(name);
    const batch = name.startsWith(`${spec.dir}/`) ? name.slice(spec.dir.length + 1) : null;
    const index = spec.train.indexOf(batch);
    if (index < 0 && batch !== spec.test) return null;
    if (seen.has(name)) throw notCifar(`it holds ${name} twice`);
    if (size !== batchBytes) {
      throw notCifar(`${name} is ${size.toLocaleString('en-US')} bytes, not the ${spec.batchRecords.toLocaleString('en-US')} records of ${recordBytes.toLocaleString('en-US')} bytes (${batchBytes.toLocaleString('en-US')} bytes) of the official batches`);
    }
    seen.add(name);
    const [writer, start] = index >= 0 ? [full, index * batchBytes] : [test, 0];
    return { data: (bytes, offset) => writer.write(start + offset, bytes) };
  });
  const md5 = await readGzip(file, async (chunk) => {
    try {
      await tar.push(chunk);
    } catch (error) {
      throw error instanceof TarError ? notCifar(error.message) : error;
    }
  }, reading());
  try {
    tar.finish();
  } catch (error) {
    throw new DatasetError(`${file.name} is cut short: ${error.message}.`, { file: file.name, hint: 'The download was incomplete: download it again.' });
  }
  const missing = [...spec.train, spec.test].map((n) => `${spec.dir}/${n}`).filter((n) => !seen.has(n));
  if (missing.length) {
    const python = names.some((n) => n.startsWith('cifar-10-batches-py/')) ? ' (this is the Python version of CIFAR-10; the page reads the binary version)' : '';
    const what = seen.size ? missing.join(', ') : `${spec.dir}/ with data_batch_1.bin … ${spec.test}; its entries: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`;
    throw notCifar(`it has no ${what}${python}`);
  }
  checkMd5(file.name, md5, spec.md5, 'the official archive', onNotice);
  onPhase('statistics');
  const source = `CIFAR-10 binary archive ${file.name} (md5 ${md5}), converted in the browser; valid = first ${VALID_RECORDS} records of data_batch_1..5, train = the rest, test = test_batch`;
  return writeStatsAndManifest(spec, plan, store, source);
}

// ---- Fashion-MNIST ----------------------------------------------------------------------------

async function convertFashion(list, { openStore, reading, onNotice, onPhase }) {
  const spec = FASHION;
  const byName = new Map(list.map((f) => [f.name, f]));
  const missing = Object.values(spec.files).map(([name]) => name).filter((n) => !byName.has(n));
  if (missing.length) {
    throw new DatasetError(`Fashion-MNIST needs its four files; ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing.`, {
      file: missing[0],
      hint: `Choose all four .gz files from ${spec.home} at once.`,
    });
  }
  const store = await openStore(spec.name);
  const pixels = spec.imageShape.reduce((a, b) => a * b);
  const recordBytes = 1 + pixels;
  const fileOf = (key) => byName.get(spec.files[key][0]);
  const read = async (key, onPayload, dims) => {
    const file = fileOf(key);
    const idx = new IdxReader(file.name, dims, onPayload);
    const md5 = await readGzip(file, (chunk) => idx.push(chunk), reading());
    idx.finish();
    checkMd5(file.name, md5, spec.files[key][1], 'the official file', onNotice);
    return { md5, dims: idx.dims };
  };
  const labels = async (key) => {
    const parts = [];
    await read(key, (bytes) => parts.push(bytes.slice()), 1);
    const all = concat(parts);
    const bad = all.findIndex((l) => l >= spec.classes.length);
    if (bad >= 0) throw new DatasetError(`${fileOf(key).name}: label ${bad} is ${all[bad]} (expected 0..9); it is not a Fashion-MNIST label file.`, { file: fileOf(key).name });
    return all;
  };
  const images = async (key, labelBytes, plan) => {
    const name = fileOf(key).name;
    const writer = new ShardWriter(plan, { recordBytes, classes: spec.classes.length, describe: (i) => `${name}, image ${i}`, store, file: name });
    let offset = 0;
    const { md5, dims } = await read(key, async (chunk) => {
      for (let at = 0; at < chunk.length;) {
        const record = Math.floor(offset / pixels);
        const within = offset % pixels;
        if (record >= labelBytes.length) throw new DatasetError(`${name} holds more images than its label file has labels (${labelBytes.length}).`, { file: name });
        if (within === 0) await writer.write(record * recordBytes, labelBytes.subarray(record, record + 1));
        const n = Math.min(pixels - within, chunk.length - at);
        await writer.write(record * recordBytes + 1 + within, chunk.subarray(at, at + n));
        at += n;
        offset += n;
      }
    }, 3);
    if (dims[0] !== labelBytes.length || dims[1] * dims[2] !== pixels) {
      throw new DatasetError(`${name} holds ${dims.join('×')} images, but Fashion-MNIST needs ${labelBytes.length} images of 28×28 to match its labels.`, { file: name });
    }
    return md5;
  };
  const trainLabels = await labels('trainLabels');
  const testLabels = await labels('testLabels');
  const plan = shardPlan(trainLabels.length, testLabels.length, recordBytes);
  const trainMd5 = await images('trainImages', trainLabels, plan.full);
  const testMd5 = await images('testImages', testLabels, plan.test);
  onPhase('statistics');
  const source = `Fashion-MNIST IDX files (image md5 ${trainMd5} ${testMd5}), converted in the browser; valid = first ${VALID_RECORDS} training images, train = the rest, test = t10k`;
  return writeStatsAndManifest(spec, plan, store, source);
}

// ---- reading ----------------------------------------------------------------------------------

/**
 * Streams `file` (a picked File, or a download from `remoteArchive`) through gunzip into
 * `onChunk`, hashing the compressed bytes (MD5) on the way; `onRead(bytes)` follows the compressed
 * bytes read. Resolves with the MD5.
 */
async function readGzip(file, onChunk, onRead) {
  const md5 = new Md5();
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
      md5.update(chunk);
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
      await onChunk(step.value);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
  }
  if (head.length < 2) throw new DatasetError(`${file.name} is empty.`, { file: file.name, hint: 'Choose the .gz file exactly as downloaded.' });
  onRead(Math.max(read, file.size));
  return md5.hex();
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

function checkMd5(name, got, official, what, onNotice) {
  if (got !== official) {
    onNotice(`${name} has MD5 ${got}, not ${what}'s (${official}): it is another copy (recompressed, mirrored or rebuilt), whose contents may differ from the official ones. It passed every layout check and was converted.`);
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- where the shards go ----------------------------------------------------------------------

/** The dataset cache (the one the data loader reads) as a shard store for dataset `name`. */
export async function cacheStore(name, siteUrl) {
  const base = datasetBase(name, siteUrl);
  const cache = await caches.open(CACHE_NAME);
  return {
    put: (file, bytes) => cache.put(cacheKey(base, file), new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } })),
    read: async (file) => (await cache.match(cacheKey(base, file))).arrayBuffer(),
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
    const worker = new Worker(new URL('./archive-worker.js', import.meta.url), { type: 'module' });
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
