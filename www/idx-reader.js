// A streaming reader of IDX files (the format of MNIST and Fashion-MNIST): the header as soon as
// its bytes are in, then the payload in pieces as they are decompressed.
import { DatasetError } from './data-loader.js';

/** An IDX file's header (magic 0x0000_08NN, then NN big-endian u32 dimensions) and payload. */
export class IdxReader {
  constructor(name, dims, onPayload) {
    Object.assign(this, { name, onPayload, header: new Uint8Array(4 + 4 * dims), filled: 0, payload: 0, dims: null });
  }

  async push(chunk) {
    let rest = chunk;
    if (!this.dims) {
      const n = Math.min(this.header.length - this.filled, chunk.length);
      this.header.set(chunk.subarray(0, n), this.filled);
      this.filled += n;
      rest = chunk.subarray(n);
      if (this.filled < this.header.length) return;
      const h = this.header;
      const dims = (h.length - 4) / 4;
      if (h[0] !== 0 || h[1] !== 0 || h[2] !== 8 || h[3] !== dims) {
        throw new DatasetError(`${this.name} is not an IDX file of unsigned bytes with ${dims} dimension(s).`, { file: this.name });
      }
      const view = new DataView(h.buffer);
      this.dims = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
    }
    this.payload += rest.length;
    if (this.payload > this.size()) throw new DatasetError(`${this.name} is longer than its header says (${this.size()} bytes).`, { file: this.name });
    if (rest.length) await this.onPayload(rest);
  }

  size() {
    return this.dims.reduce((a, b) => a * b, 1);
  }

  finish() {
    if (!this.dims || this.payload !== this.size()) {
      throw new DatasetError(`${this.name} is cut short: ${this.dims ? `${this.payload} payload bytes, its header says ${this.size()}` : 'it ends inside its header'}.`, {
        file: this.name,
        hint: 'The download was incomplete: download it again.',
      });
    }
  }
}
