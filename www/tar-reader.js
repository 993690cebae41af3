// A streaming tar reader: bytes go in as they are decompressed, each member's data comes out in
// pieces, so an archive of any size is read without being held in memory. Understands POSIX
// ustar (name prefix), pax extended headers (`path`) and GNU long names, which covers the tar
// tools that build dataset archives.

const BLOCK = 512;

/** A tar stream that is not one: what is wrong, for the caller to word for the user. */
export class TarError extends Error {
  constructor(message, { truncated = false } = {}) {
    super(message);
    this.name = 'TarError';
    this.truncated = truncated;
  }
}

export class TarReader {
  /**
   * `onEntry({name, size, type})` is called at each member's header and may return a sink
   * `{data(bytes, offset), end()}` (either may return a promise) to receive its data; members
   * without a sink are skipped.
   */
  constructor(onEntry) {
    this.onEntry = onEntry;
    this.header = new Uint8Array(BLOCK);
    this.headerFilled = 0;
    this.entry = null; // the member whose data or padding is being read
    this.sink = null;
    this.offset = 0; // bytes of the member's data read so far
    this.skip = 0; // padding left after the member's data
    this.meta = null; // collects a pax or GNU long-name header's data
    this.pendingName = null;
    this.ended = false;
  }

  /** Reads the next piece of the tar stream. */
  async push(bytes) {
    let at = 0;
    while (at < bytes.length && !this.ended) {
      if (this.entry) at += await this.#data(bytes.subarray(at));
      else if (this.skip > 0) {
        const n = Math.min(this.skip, bytes.length - at);
        this.skip -= n;
        at += n;
      } else {
        const n = Math.min(BLOCK - this.headerFilled, bytes.length - at);
        this.header.set(bytes.subarray(at, at + n), this.headerFilled);
        this.headerFilled += n;
        at += n;
        if (this.headerFilled === BLOCK) {
          this.headerFilled = 0;
          await this.#startEntry();
        }
      }
    }
  }

  /** Checks that the stream did not stop inside a header or a member's data. */
  finish() {
    if (this.entry) {
      throw new TarError(`it ends inside ${this.entry.name} (${this.offset} of its ${this.entry.size} bytes)`, { truncated: true });
    }
    if (this.headerFilled > 0) throw new TarError('it ends inside a tar header', { truncated: true });
  }

  async #startEntry() {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      // Two zero blocks end an archive; one is enough to know no member follows.
      this.ended = true;
      return;
    }
    if (!checksumOk(h)) throw new TarError('it is not a tar archive (a header checksum does not match)');
    const type = String.fromCharCode(h[156] || 0x30);
    const size = octal(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError('it is not a tar archive (a header has no valid size)');
    let name = text(h, 0, 100);
    if (text(h, 257, 5) === 'ustar' && h[345]) name = `${text(h, 345, 155)}/${name}`;
    if (this.pendingName !== null) {
      name = this.pendingName;
      this.pendingName = null;
    }
    this.entry = { name: name.replace(/^\.\//, ''), size, type };
    this.offset = 0;
    if (type === 'x' || type === 'L') this.meta = new Uint8Array(size);
    else if (type === '0' || type === '7') this.sink = (await this.onEntry(this.entry)) ?? null;
    if (size === 0) await this.#endEntry();
  }

  async #data(bytes) {
    const n = Math.min(this.entry.size - this.offset, bytes.length);
    const piece = bytes.subarray(0, n);
    if (this.meta) this.meta.set(piece, this.offset);
    else if (this.sink) await this.sink.data(piece, this.offset);
    this.offset += n;
    if (this.offset === this.entry.size) await this.#endEntry();
    return n;
  }

  async #endEntry() {
    const { size, type } = this.entry;
    if (type === 'L') this.pendingName = text(this.meta, 0, this.meta.length);
    if (type === 'x') this.pendingName = paxPath(this.meta) ?? this.pendingName;
    if (this.sink) await this.sink.end?.();
    this.entry = null;
    this.sink = null;
    this.meta = null;
    this.skip = (BLOCK - (size % BLOCK)) % BLOCK;
  }
}

function text(bytes, start, length) {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
}

function octal(bytes, start, length) {
  const digits = text(bytes, start, length).trim();
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : NaN;
}

/** The header checksum: the byte sum with the checksum field itself read as spaces. */
function checksumOk(h) {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return octal(h, 148, 8) === sum;
}

/** The `path` record of a pax extended header ("<length> path=<name>\n"), if any. */
function paxPath(bytes) {
  for (const record of new TextDecoder().decode(bytes).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return null;
}
