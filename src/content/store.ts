import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError, errnoCode, fsyncDir, pathExists } from '../base/index.js';
import { Digester, digestHex, digestOf, isDigest, parseDigest, type Digest } from '../oci/index.js';

export interface WriteResult { digest: Digest; size: number }

/**
 * Content-addressed blob store rooted at `<data-root>/content`:
 *   blobs/sha256/<hex>   verified blobs (never partially written)
 *   ingest/<random>      in-flight writes; removed on failure and at init
 */
export class LocalContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Creates the directories and removes stale ingests left by a crash. */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true });
    // Hidden temp files that could be left in blobs/ (never produced by us, but be tidy).
    for (const name of await readdir(this.blobsDir)) {
      if (name.startsWith('.')) await rm(join(this.blobsDir, name), { force: true, recursive: true });
    }
  }

  path(digest: Digest): string {
    return join(this.blobsDir, digestHex(parseDigest(digest)));
  }

  has(digest: Digest): Promise<boolean> {
    return pathExists(this.path(digest));
  }

  /** Size and mtime of a blob; NotFoundError when absent. */
  async info(digest: Digest): Promise<{ size: number; stats: Stats }> {
    try {
      const st = await stat(this.path(digest));
      return { size: st.size, stats: st };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`content ${digest}: not found`);
      throw err;
    }
  }

  /**
   * Streams `src` into ingest/, hashing as it goes; fsyncs, verifies `expected` (if given) and renames the
   * file into blobs/. On any failure nothing is kept.
   */
  async write(src: Readable, opts: { expected?: Digest } = {}): Promise<WriteResult> {
    if (opts.expected !== undefined) parseDigest(opts.expected);
    await mkdir(this.ingestDir, { recursive: true });
    const tmp = join(this.ingestDir, randomBytes(12).toString('hex'));
    const digester = new Digester();
    const hasher = new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        digester.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(src, hasher, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const digest = digester.digest();
      if (opts.expected !== undefined && opts.expected !== digest) {
        throw new InvalidArgumentError(`digest mismatch: expected ${opts.expected}, got ${digest}`);
      }
      await mkdir(this.blobsDir, { recursive: true });
      await rename(tmp, join(this.blobsDir, digestHex(digest)));
      await fsyncDir(this.blobsDir);
      return { digest, size: digester.size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async writeBytes(data: Uint8Array | string, opts: { expected?: Digest } = {}): Promise<WriteResult> {
    return this.write(Readable.from([Buffer.from(data)]), opts);
  }

  /**
   * Stores `value` as compact JSON (`JSON.stringify(value)`, no trailing newline; these exact bytes are the
   * content) and returns its digest.
   */
  async writeJson(value: unknown): Promise<Digest> {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = digestOf(bytes);
    if (await this.has(digest)) return digest;
    return (await this.writeBytes(bytes, { expected: digest })).digest;
  }

  async readBytes(digest: Digest, maxBytes = 16 << 20): Promise<Buffer> {
    const { size } = await this.info(digest);
    if (size > maxBytes) throw new InvalidArgumentError(`content ${digest} is too large (${size} > ${maxBytes} bytes)`);
    let buf: Buffer;
    try {
      buf = await readFile(this.path(digest));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new NotFoundError(`content ${digest}: not found`);
      throw err;
    }
    if (digestOf(buf) !== digest) throw new InvalidArgumentError(`content ${digest} is corrupt (digest mismatch)`);
    return buf;
  }

  /** Reads and parses a JSON blob, verifying its digest; refuses blobs larger than `maxBytes`. */
  async readJson<T>(digest: Digest, maxBytes = 4 << 20): Promise<T> {
    const buf = await this.readBytes(digest, maxBytes);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (err) {
      throw new InvalidArgumentError(`content ${digest} is not valid JSON`, { cause: err });
    }
  }

  /** Deletes a blob; returns false when it did not exist. */
  async delete(digest: Digest): Promise<boolean> {
    try {
      await rm(this.path(digest));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  async list(): Promise<Digest[]> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    return names.map((n) => `sha256:${n}`).filter((d): d is Digest => isDigest(d)).sort();
  }
}
