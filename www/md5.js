// Incremental MD5 (RFC 1321). The datasets' home pages publish MD5 sums of their archives, and
// Web Crypto has no MD5 (and no incremental digest at all), so the archive is hashed here as it
// streams past, without being held in memory.

// K[i] = floor(2^32 · |sin(i + 1)|), and the per-round left-rotation amounts. Words are kept as
// Int32 so that V8 computes in small integers, not doubles.
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(2 ** 32 * Math.abs(Math.sin(i + 1))) | 0);
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

export class Md5 {
  #state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
  #block = new Uint8Array(64);
  #words = new Int32Array(16);
  #filled = 0;
  #length = 0;

  /** Hashes `bytes` (a Uint8Array) after everything given so far. */
  update(bytes) {
    this.#length += bytes.length;
    let offset = 0;
    if (this.#filled > 0) {
      offset = Math.min(64 - this.#filled, bytes.length);
      this.#block.set(bytes.subarray(0, offset), this.#filled);
      this.#filled += offset;
      if (this.#filled < 64) return this;
      this.#compress(this.#block, 0);
      this.#filled = 0;
    }
    for (; offset + 64 <= bytes.length; offset += 64) this.#compress(bytes, offset);
    this.#block.set(bytes.subarray(offset), 0);
    this.#filled = bytes.length - offset;
    return this;
  }

  /** The digest as 32 lowercase hex digits; the object is spent afterwards. */
  hex() {
    const bits = this.#length * 8;
    const tail = new Uint8Array((this.#filled < 56 ? 64 : 128) - this.#filled);
    tail[0] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, bits >>> 0, true);
    view.setUint32(tail.length - 4, Math.floor(bits / 2 ** 32), true);
    this.#length -= tail.length;
    this.update(tail);
    const out = new Uint8Array(this.#state.buffer);
    return Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // One loop per round with its step written out, in Int32 arithmetic: 4–5 times faster in V8
  // than one loop that picks each step's function (173 MB: 0.6 s against 2.8 s in Node 20).
  #compress(bytes, offset) {
    const x = this.#words;
    for (let i = 0; i < 16; i++) {
      const j = offset + 4 * i;
      x[i] = bytes[j] | (bytes[j + 1] << 8) | (bytes[j + 2] << 16) | (bytes[j + 3] << 24);
    }
    const h = this.#state;
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let sum;
    let s;
    for (let i = 0; i < 16; i++) {
      sum = (a + ((b & c) | (~b & d)) + K[i] + x[i]) | 0;
      s = S[i & 3];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 16; i < 32; i++) {
      sum = (a + ((d & b) | (~d & c)) + K[i] + x[(5 * i + 1) & 15]) | 0;
      s = S[4 | (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 32; i < 48; i++) {
      sum = (a + (b ^ c ^ d) + K[i] + x[(3 * i + 5) & 15]) | 0;
      s = S[8 | (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    for (let i = 48; i < 64; i++) {
      sum = (a + (c ^ (b | ~d)) + K[i] + x[(7 * i) & 15]) | 0;
      s = S[12 | (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }
}
