// Converts the dataset files the user picked, or the archive at a URL, off the main thread, so
// the page keeps drawing while some 170 MB are decompressed, checked and cut into shards: the
// crate's converter (in wasm) does the format, io/dataset-archive.js moves the bytes.
import init, { DatasetConverter } from './pkg/selfnorm.js';
import { convertDatasetFiles, cacheStore, remoteArchive } from './io/dataset-archive.js';

self.onmessage = async ({ data: { files, url, siteUrl } }) => {
  try {
    await init();
    const inputs = url ? [await remoteArchive(url)] : files;
    const converter = new DatasetConverter(inputs.map((f) => f.name));
    const name = await convertDatasetFiles(inputs, converter, (dataset) => cacheStore(dataset, siteUrl), {
      onProgress: (progress) => self.postMessage({ type: 'progress', progress }),
      onNotice: (text) => self.postMessage({ type: 'notice', text }),
    });
    self.postMessage({ type: 'done', name });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error?.message ?? error), hint: error?.hint ?? null, file: error?.file ?? null });
  }
};
