import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../base/index.js';
import { PathNotFoundError, archivePath, exportRoot, extractToDir, statPath, type PathStat } from './archive.js';
import { computeChanges, type Change } from './changes.js';
import { diffTar } from './diff-tar.js';
import type { ContainerRecord, ContainerService } from './service.js';
import { resolveUser } from './user.js';

function notFound(err: unknown, path: string, ref: string): unknown {
  // moby's containerFileNotFound wording (clients show it as is)
  return err instanceof PathNotFoundError ? new NotFoundError(`Could not find the file ${path} in container ${ref}`) : err;
}

/** The container file tools: `docker cp` (archive API), `export`, `diff` and the layer `commit` stores. */
export class ContainerFiles {
  constructor(private readonly svc: ContainerService) {}

  async stat(ref: string, path: string): Promise<PathStat> {
    if (!path) throw new InvalidArgumentError('Path cannot be empty');
    return this.svc.withFilesystem(ref, { pause: true }, async ({ root }) => {
      try {
        return (await statPath(root, path)).stat;
      } catch (err) {
        throw notFound(err, path, ref);
      }
    });
  }

  /** GET archive: `sink` gets the stat and the tar stream and must consume it before returning. */
  async archive(ref: string, path: string, sink: (stat: PathStat, tar: Readable) => Promise<void>): Promise<void> {
    if (!path) throw new InvalidArgumentError('Path cannot be empty');
    await this.svc.withFilesystem(ref, { pause: true, event: 'archive-path' }, async ({ root }) => {
      let r: { stat: PathStat; tar: Readable };
      try {
        r = await archivePath(root, path);
      } catch (err) {
        throw notFound(err, path, ref);
      }
      try {
        await sink(r.stat, r.tar);
      } finally {
        r.tar.destroy();
      }
    });
  }

  /** PUT archive: extracts `body` (a tar, possibly compressed) into the directory `path`. */
  async extract(ref: string, path: string, body: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    if (!path) throw new InvalidArgumentError('Path cannot be empty');
    await this.svc.withFilesystem(ref, { pause: true, event: 'extract-to-dir' }, async ({ root, rec }) => {
      if (rec.HostConfig.ReadonlyRootfs) {
        body.resume();
        throw new InvalidArgumentError('container rootfs is marked read-only');
      }
      const chown = o.copyUIDGID && rec.Config.User ? await resolveUser(root, rec.Config.User) : undefined;
      try {
        await extractToDir(root, path, body, { noOverwriteDirNonDir: o.noOverwriteDirNonDir, ...(chown ? { chown: { uid: chown.uid, gid: chown.gid } } : {}) });
      } catch (err) {
        throw notFound(err, path, ref);
      }
    });
  }

  /** GET export: the flattened filesystem. */
  async export(ref: string, sink: (tar: Readable) => Promise<void>): Promise<void> {
    await this.svc.withFilesystem(ref, { pause: false, event: 'export' }, async ({ root }) => {
      const tar = await exportRoot(root);
      try {
        await sink(tar);
      } finally {
        tar.destroy();
      }
    });
  }

  /** GET changes. */
  async changes(ref: string): Promise<Change[]> {
    return this.svc.withFilesystem(ref, { pause: false }, ({ upper, lowerDirs }) => computeChanges(upper, lowerDirs));
  }

  /**
   * The container's changes as a layer tar (for commit), handed to `sink` with the container record while the
   * container stays frozen (when `pause`).
   */
  async diffLayer<T>(ref: string, opts: { pause: boolean }, sink: (tar: Readable, rec: ContainerRecord, empty: boolean) => Promise<T>): Promise<T> {
    return this.svc.withFilesystem(ref, { pause: opts.pause, event: 'commit' }, async ({ upper, lowerDirs, rec }) => {
      const changes = await computeChanges(upper, lowerDirs);
      const tar = await diffTar(upper, changes, dirname(upper));
      try {
        return await sink(tar, structuredClone(rec), changes.length === 0);
      } finally {
        tar.destroy();
      }
    });
  }
}
