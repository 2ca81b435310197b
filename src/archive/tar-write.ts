/**
 * A minimal streaming tar writer (ustar headers) for archives berth builds itself, e.g. `docker save`: regular
 * files and directories with short, trusted names. Sizes past ustar's 8 GiB octal limit use GNU base-256.
 */

export interface TarHeader {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  size?: number;
  mode?: number;
  mtime?: number;
  linkname?: string;
}

function octal(buf: Buffer, off: number, len: number, value: number): void {
  const s = Math.floor(value).toString(8);
  if (s.length > len - 1) {
    // GNU base-256: high bit of the first byte set, big-endian value in the rest.
    buf[off] = 0x80;
    let v = BigInt(Math.floor(value));
    for (let i = off + len - 1; i > off; i--) {
      buf[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return;
  }
  buf.write(s.padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

/** One 512-byte header block. Throws on names that do not fit the ustar name+prefix fields. */
export function tarHeader(h: TarHeader): Buffer {
  const buf = Buffer.alloc(512);
  let name = h.name;
  if (h.type === 'dir' && !name.endsWith('/')) name += '/';
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = cut > 0 ? name.slice(0, cut) : '';
    name = cut > 0 ? name.slice(cut + 1) : name;
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: name too long: ${h.name}`);
  }
  buf.write(name, 0, 100, 'utf8');
  octal(buf, 100, 8, h.mode ?? (h.type === 'dir' ? 0o755 : h.type === 'symlink' ? 0o777 : 0o644));
  octal(buf, 108, 8, 0);
  octal(buf, 116, 8, 0);
  octal(buf, 124, 12, h.type === 'file' ? h.size ?? 0 : 0);
  octal(buf, 136, 12, h.mtime ?? 0);
  buf.write('        ', 148, 8, 'ascii');
  buf.write(h.type === 'dir' ? '5' : h.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
  if (h.linkname) buf.write(h.linkname, 157, 100, 'utf8');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  buf.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return buf;
}

/** Zero bytes that pad a member of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rem = size % 512;
  return Buffer.alloc(rem === 0 ? 0 : 512 - rem);
}

/** The end-of-archive marker: two zero blocks. */
export function tarTrailer(): Buffer {
  return Buffer.alloc(1024);
}
