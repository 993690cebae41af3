// The structure of a weights file from a run file, checked before it is stored: safetensors (what
// the page writes) or the older SNW1 layout. Only the container is checked here (header, dtype,
// shapes, offsets, sizes computed without overflow); whether the tensors fit a model is the wasm
// module's check when the weights are loaded into one.

const MAX_HEADER = 100_000_000; // the safetensors library's own limit
const MAX_RANK = 8;
const MAX_NAME = 200;

/** `a × b`, or null when the product is not a safe integer. */
function product(dims) {
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

function checkSafetensors(bytes) {
  if (bytes.length < 8) return `are ${bytes.length} bytes long, too short for a safetensors header`;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) return `declare a ${n}-byte header in a ${bytes.length}-byte file (cut short or damaged)`;
  const headerEnd = 8 + Number(n);
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (error) {
    return `have an unreadable safetensors header (${error.message})`;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return 'have a safetensors header that is not a JSON object';
  const spans = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (name.length > MAX_NAME) return `hold a tensor whose name is ${name.length} characters long`;
    if (info?.dtype !== 'F32') return `hold tensor "${name}" of dtype ${JSON.stringify(info?.dtype ?? null)}; selfnorm reads F32 only`;
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return `give tensor "${name}" the shape ${JSON.stringify(shape)}; dimensions must be whole numbers ≥ 0, at most ${MAX_RANK} of them`;
    }
    const size = product([4, ...shape]);
    const [start, end] = Array.isArray(info.data_offsets) ? info.data_offsets : [];
    if (size === null) return `give tensor "${name}" the shape ${JSON.stringify(shape)}, too large to exist`;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end - start !== size) {
      return `give tensor "${name}" the offsets ${JSON.stringify(info.data_offsets)}, which do not hold its ${size} bytes`;
    }
    spans.push([start, end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [start, end] of spans) {
    if (start !== at) return `have tensors that overlap or leave a gap at byte ${at} of the data`;
    at = end;
  }
  if (at !== bytes.length - headerEnd) return `hold ${bytes.length - headerEnd} bytes of data where the header accounts for ${at} (cut short or damaged)`;
  return null;
}

function checkSnw1(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 4;
  const u32 = () => {
    if (at + 4 > bytes.length) return null;
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const count = u32();
  if (count === null) return 'are cut short (no tensor count)';
  for (let i = 0; i < count; i++) {
    const rank = u32();
    if (rank === null || rank > MAX_RANK) return rank === null ? `are cut short at tensor ${i}` : `give tensor ${i} rank ${rank} (at most ${MAX_RANK})`;
    const dims = [];
    for (let d = 0; d < rank; d++) dims.push(u32());
    if (dims.includes(null)) return `are cut short in the dimensions of tensor ${i}`;
    const size = product([4, ...dims]);
    if (size === null || at + size > bytes.length) return `give tensor ${i} the dimensions [${dims.join(', ')}], more than the file holds`;
    at += size;
  }
  if (at !== bytes.length) return `have ${bytes.length - at} bytes after the last tensor`;
  return null;
}

/** Null when `buffer` is a well-formed weights file of `format`, else what is wrong (a phrase: "the weights …"). */
export function checkWeights(buffer, format) {
  const bytes = new Uint8Array(buffer);
  const snw1 = bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === 'SNW1';
  if (format === 'SNW1' && !snw1) return 'are not in the SNW1 layout their format field names';
  const problem = snw1 ? checkSnw1(bytes) : checkSafetensors(bytes);
  return problem && `(${format}) ${problem}`;
}
