// The dataset layout that `selfnorm prepare-data` writes (crate/src/data/prepare.rs, writer.rs,
// preprocess.rs), for datasets made in the page: the first 5,000 training records are the
// validation split and the rest the train split, the test set is kept whole, 5,000 records a shard
// named <split>-NNN.bin; train-stats.bin holds the train split's per-feature mean then std of
// pixels / 255 as little-endian f32, summed in f64 record by record in file order; the manifest
// is written last. The shards must be byte-identical to the CLI's: tests/e2e/site.test.mjs
// compares every file's sha256 with the CLI's manifest on the same archive.
import { DatasetError, sha256Hex } from './data-loader.js';

export const VALID_RECORDS = 5_000;
const RECORDS_PER_SHARD = 5_000;
const STATS_FILE = 'train-stats.bin';

/** Where each shard's records lie in the training records (`full`) and in the test records. */
export function shardPlan(fullRecords, testRecords, recordBytes) {
  const shards = (split, start, records) => Array.from({ length: Math.ceil(records / RECORDS_PER_SHARD) }, (_, index) => ({
    split,
    index,
    start: start + index * RECORDS_PER_SHARD,
    records: Math.min(RECORDS_PER_SHARD, records - index * RECORDS_PER_SHARD),
    file: `${split}-${String(index).padStart(3, '0')}.bin`,
  }));
  return {
    full: [...shards('valid', 0, VALID_RECORDS), ...shards('train', VALID_RECORDS, fullRecords - VALID_RECORDS)],
    test: shards('test', 0, testRecords),
    recordBytes,
  };
}

/**
 * Collects a stream of records, given as byte ranges in any order, into the shards of `plan`;
 * a shard is checked, hashed and stored as soon as it is complete, so at most the shards being
 * filled are in memory.
 */
export class ShardWriter {
  constructor(plan, { recordBytes, classes, describe, store, file }) {
    this.shards = plan.map((s) => Object.assign(s, { offset: s.start * recordBytes, size: s.records * recordBytes, buffer: null, filled: 0 }));
    Object.assign(this, { recordBytes, classes, describe, store, file });
  }

  async write(offset, bytes) {
    const end = offset + bytes.length;
    for (const s of this.shards) {
      const lo = Math.max(offset, s.offset);
      const hi = Math.min(end, s.offset + s.size);
      if (lo >= hi) continue;
      s.buffer ??= new Uint8Array(s.size);
      s.buffer.set(bytes.subarray(lo - offset, hi - offset), lo - s.offset);
      s.filled += hi - lo;
      if (s.filled === s.size) await this.#store(s);
    }
  }

  async #store(shard) {
    const { buffer, records } = shard;
    for (let r = 0; r < records; r++) {
      const label = buffer[r * this.recordBytes];
      if (label >= this.classes) {
        throw new DatasetError(`${this.file}: ${this.describe(shard.start + r)} has label ${label} (expected 0..${this.classes - 1}); the file does not have the dataset's layout.`, { file: this.file });
      }
    }
    shard.sha256 = await sha256Hex(buffer);
    await this.store.put(shard, buffer);
    shard.buffer = null;
  }
}

/** Train-split statistics, the statistics file, then the manifest (last: it marks the dataset complete). */
export async function writeStatsAndManifest(spec, plan, store, source) {
  const recordBytes = plan.recordBytes;
  const info = (s) => ({ file: s.file, records: s.records, bytes: s.size, sha256: s.sha256 });
  const split = (name) => {
    const shards = [...plan.full, ...plan.test].filter((s) => s.split === name);
    return { records: shards.reduce((n, s) => n + s.records, 0), shards: shards.map(info) };
  };
  const train = split('train');
  const stats = await trainStats(store, train.shards, recordBytes);
  const statsInfo = { file: STATS_FILE, bytes: stats.byteLength, sha256: await sha256Hex(stats) };
  await store.put(statsInfo, stats);
  // The field order of the CLI's manifest (serde follows the struct's).
  const manifest = {
    format: 'selfnorm-shards',
    version: 1,
    dataset: spec.name,
    classes: spec.classes,
    image_shape: spec.imageShape,
    record_bytes: recordBytes,
    train,
    valid: split('valid'),
    test: split('test'),
    standardization: statsInfo,
    source,
  };
  await store.putManifest(JSON.stringify(manifest, null, 2));
  return { name: spec.name, manifest };
}

/** Per-feature mean then std of pixels / 255 over the train shards, as little-endian f32. */
async function trainStats(store, shards, recordBytes) {
  const d = recordBytes - 1;
  const sum = new Float64Array(d);
  const sumSq = new Float64Array(d);
  let n = 0;
  for (const shard of shards) {
    const bytes = new Uint8Array(await store.read(shard));
    for (let r = 0; r < shard.records; r++) {
      const base = r * recordBytes + 1;
      for (let f = 0; f < d; f++) {
        const x = bytes[base + f] / 255;
        sum[f] += x;
        sumSq[f] += x * x;
      }
    }
    n += shard.records;
  }
  const out = new DataView(new ArrayBuffer(8 * d));
  for (let f = 0; f < d; f++) {
    const mean = sum[f] / n;
    out.setFloat32(4 * f, mean, true);
    out.setFloat32(4 * (d + f), Math.sqrt(Math.max(sumSq[f] / n - mean * mean, 0)), true);
  }
  return out.buffer;
}
