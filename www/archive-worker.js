// Converts the dataset files the user picked (dataset-archive.js) off the main thread, so the page
// keeps drawing while some 170 MB are decompressed, hashed and cut into shards.
import { convertDatasetFiles, cacheStore } from './dataset-archive.js';

self.onmessage = async ({ data: { files, siteUrl } }) => {
  try {
    const { name } = await convertDatasetFiles(files, (dataset) => cacheStore(dataset, siteUrl), {
      onProgress: (progress) => self.postMessage({ type: 'progress', progress }),
      onNotice: (text) => self.postMessage({ type: 'notice', text }),
    });
    self.postMessage({ type: 'done', name });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error?.message ?? error), hint: error?.hint ?? null, file: error?.file ?? null });
  }
};
