/**
 * An incremental, allocation-light tar header scanner: feed it the bytes of an uncompressed tar as they stream
 * and it tracks the entries' newest modification time and count (pax `mtime` records honoured). It never
 * throws; on malformed input it stops scanning (`valid` becomes false).
 */
export class TarScanner {
  entries = 0;
  /** Newest entry mtime, seconds since the epoch (undefined when no entry was seen). */
  maxMtime: number | undefined;
  valid = true;
  private header = Buffer.alloc(512);
  private headerFill = 0;
  private skip = 0; // data bytes (incl. padding) still to skip
  private paxCollect: Buffer[] | undefined;
  private paxRemaining = 0;
  private paxMtime: number | undefined;
  private paxGlobalMtime: number | undefined;
  private paxIsGlobal = false;

  update(chunk: Uint8Array): void {
    let off = 0;
    while (this.valid && off < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        if (this.paxCollect && this.paxRemaining > 0) {
          const take = Math.min(n, this.paxRemaining);
          this.paxCollect.push(Buffer.from(chunk.subarray(off, off + take)));
          this.paxRemaining -= take;
          if (this.paxRemaining === 0) this.finishPax();
        }
        this.skip -= n;
        off += n;
        continue;
      }
      const n = Math.min(512 - this.headerFill, chunk.length - off);
      this.header.set(chunk.subarray(off, off + n), this.headerFill);
      this.headerFill += n;
      off += n;
      if (this.headerFill === 512) {
        this.headerFill = 0;
        this.onHeader(this.header);
      }
    }
  }

  private finishPax(): void {
    const text = Buffer.concat(this.paxCollect!).toString('utf8');
    this.paxCollect = undefined;
    // records: "<len> key=value\n"
    let i = 0;
    while (i < text.length) {
      const sp = text.indexOf(' ', i);
      if (sp < 0) break;
      const len = Number.parseInt(text.slice(i, sp), 10);
      if (!Number.isFinite(len) || len <= 0) break;
      const rec = text.slice(sp + 1, i + len - 1);
      const eq = rec.indexOf('=');
      if (eq > 0 && rec.slice(0, eq) === 'mtime') {
        const v = Number.parseFloat(rec.slice(eq + 1));
        if (Number.isFinite(v)) {
          if (this.paxIsGlobal) this.paxGlobalMtime = Math.floor(v);
          else this.paxMtime = Math.floor(v);
        }
      }
      i += len;
    }
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) return; // end-of-archive / padding blocks
    const size = parseNumeric(h.subarray(124, 136));
    const mtime = parseNumeric(h.subarray(136, 148));
    if (size === undefined || size < 0) {
      this.valid = false;
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const padded = Math.ceil(size / 512) * 512;
    switch (type) {
      case 'x':
      case 'g':
        this.paxIsGlobal = type === 'g';
        this.paxCollect = [];
        this.paxRemaining = size;
        this.skip = padded;
        if (size === 0) this.finishPax();
        return;
      case 'L':
      case 'K':
        this.skip = padded;
        return;
      default: {
        this.entries++;
        const m = this.paxMtime ?? this.paxGlobalMtime ?? mtime;
        this.paxMtime = undefined;
        if (m !== undefined && (this.maxMtime === undefined || m > this.maxMtime)) this.maxMtime = m;
        // header-only types carry no data whatever their size field says (as Go's archive/tar)
        this.skip = '123456'.includes(type) ? 0 : padded;
      }
    }
  }
}

/** Parses a tar numeric field: NUL/space-terminated octal, or GNU base-256 (high bit set). */
function parseNumeric(f: Buffer): number | undefined {
  if (f[0]! & 0x80) {
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return v;
  }
  const s = f.toString('latin1').replace(/[\0 ]+$/g, '').replace(/^[\0 ]+/g, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return Number.parseInt(s, 8);
}
