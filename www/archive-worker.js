// Converts the dataset files the user picked, or the archive at a URL (dataset-archive.js), off
// the main thread, so the page keeps drawing while some 170 MB are decompressed, hashed and cut
// into shards.
import { convertDatasetFiles, cacheStore, remoteArchive } from './dataset-archive.js';

self.onmessage = async ({ data: { files, url, siteUrl } }) => {
  try {
    const inputs = url ? [await remoteArchive(url)] : files;
    const { name } = await convertDatasetFiles(inputs, (dataset) => cacheStore(dataset, siteUrl), {
      onProgress: (progress) => self.postMessage({ type: 'progress', progress }),
      onNotice: (text) => self.postMessage({ type: 'notice', text }),
    });
    self.postMessage({ type: 'done', name });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error?.message ?? error), hint: error?.hint ?? null, file: error?.file ?? null });
  }
};
