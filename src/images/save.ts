import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, formatPlatform, platformMatches, type PlatformSpec } from '../base/index.js';
import {
  MediaTypes, canonicalString, digestHex, digestOf, familiarName, familiarString, parseNormalizedNamed,
  withDefaultTag, type Descriptor, type Digest, type Reference,
} from '../oci/index.js';
import { tarHeader, tarPadding, tarTrailer } from '../archive/index.js';
import type { ImageService, ImageSnapshot } from './service.js';

/**
 * `docker save`: one tar holding the named images in the layout docker 25+ writes, which is at once an OCI image
 * layout and a docker-archive:
 *   blobs/sha256/<hex>   layer tars (uncompressed, digest = diffID), image configs (digest = image ID), OCI manifests
 *   index.json           OCI index: one manifest descriptor per reference (io.containerd.image.name + ref.name)
 *   oci-layout           {"imageLayoutVersion":"1.0.0"}
 *   manifest.json        docker-archive: [{Config, RepoTags, Layers}] with paths into blobs/
 *   repositories         legacy {familiar name: {tag: top layer hex}}
 * A blob shared by several images is stored once.
 */

const OCI_LAYER_TAR = MediaTypes.ociLayer;
const OCI_INDEX = MediaTypes.ociIndex;
const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

interface Selected { snap: ImageSnapshot; tags: Reference[] }

const ID_LIKE = /^(sha256:)?[a-f0-9]{1,64}$/;

/** docker's parseNames: an ID saves the image untagged, `repo` every tag of repo, `repo:tag` that tag. */
export function selectImages(svc: ImageService, names: readonly string[]): Selected[] {
  if (names.length === 0) throw new InvalidArgumentError('no image names specified');
  const byId = new Map<string, Selected>();
  const add = (snap: ImageSnapshot, tag?: Reference): void => {
    let s = byId.get(snap.id);
    if (!s) byId.set(snap.id, (s = { snap, tags: [] }));
    if (tag && !s.tags.some((t) => canonicalString(t) === canonicalString(tag))) s.tags.push(tag);
  };
  for (const name of names) {
    if (ID_LIKE.test(name)) {
      const snap = svc.snapshot(name);
      if (snap.id.startsWith(name) || digestHex(snap.id).startsWith(name)) {
        add(snap);
        continue;
      }
    }
    const named = parseNormalizedNamed(name);
    if (named.tag === undefined && named.digest === undefined) {
      const all = svc.repositoryTags(name);
      if (all.length) {
        for (const { ref } of all.sort((a, b) => (canonicalString(a.ref) < canonicalString(b.ref) ? -1 : 1))) add(svc.snapshot(canonicalString(ref)), ref);
        continue;
      }
    }
    const ref = withDefaultTag(named);
    const snap = svc.snapshot(name);
    add(snap, ref.tag !== undefined ? ref : undefined);
  }
  return [...byId.values()];
}

interface BlobEntry { digest: Digest; size: number; fh?: FileHandle; data?: Buffer }

/**
 * Builds the archive stream for the images `names` (errors about names are thrown before anything is sent). With
 * `platform` (`docker save --platform`), every image must be of that platform: berth holds one platform per image,
 * so another one is an error (moby's graphdriver store wording), the same one saves as without it.
 */
export async function saveImages(svc: ImageService, names: readonly string[], opts: { platform?: PlatformSpec } = {}): Promise<Readable> {
  const blobs = new Map<string, BlobEntry>();
  const manifestJson: object[] = [];
  const indexManifests: Descriptor[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  // Open every blob while holding the store's lock: an rmi running while the archive streams cannot pull the
  // files away (the open handles keep them readable).
  await svc.exclusive(async () => {
    const selected = selectImages(svc, names);
    const want = opts.platform;
    if (want && selected.some(({ snap }) => !platformMatches(want, snap.config))) {
      throw new NotFoundError(`no suitable export target found for platform ${formatPlatform(want)}`);
    }
    try {
      for (const { snap, tags } of selected) {
        const diffIds = snap.config.rootfs.diff_ids;
        const layerDescs: Descriptor[] = [];
        for (const d of diffIds) {
          let b = blobs.get(d);
          if (!b) {
            const fh = await open(svc.content.path(d), 'r');
            b = { digest: d, size: (await fh.stat()).size, fh };
            blobs.set(d, b);
          }
          layerDescs.push({ mediaType: OCI_LAYER_TAR, digest: d, size: b.size });
        }
        const configBytes = await svc.content.readBytes(snap.id, 8 << 20);
        if (!blobs.has(snap.id)) blobs.set(snap.id, { digest: snap.id, size: configBytes.length, data: configBytes });
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: MediaTypes.ociManifest,
          config: { mediaType: MediaTypes.ociConfig, digest: snap.id, size: configBytes.length }, layers: layerDescs,
        }));
        const mdigest = digestOf(manifest);
        if (!blobs.has(mdigest)) blobs.set(mdigest, { digest: mdigest, size: manifest.length, data: manifest });
        const desc: Descriptor = { mediaType: MediaTypes.ociManifest, digest: mdigest, size: manifest.length };
        if (tags.length === 0) indexManifests.push(desc);
        for (const t of tags) {
          indexManifests.push({ ...desc, annotations: { [ANNOTATION_IMAGE_NAME]: canonicalString(t), [ANNOTATION_REF_NAME]: t.tag! } });
          const top = diffIds.at(-1);
          if (top) (repositories[familiarName(t)] ??= {})[t.tag!] = digestHex(top);
        }
        manifestJson.push({
          Config: `blobs/sha256/${digestHex(snap.id)}`,
          RepoTags: tags.length ? tags.map((t) => familiarString(t)) : null,
          Layers: diffIds.map((d) => `blobs/sha256/${digestHex(d)}`),
        });
      }
    } catch (err) {
      for (const b of blobs.values()) await b.fh?.close();
      throw err;
    }
  });
  const files: Array<[string, Buffer]> = [
    ['index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: indexManifests }))],
    ['manifest.json', Buffer.from(JSON.stringify(manifestJson))],
    ['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))],
  ];
  if (Object.keys(repositories).length) files.push(['repositories', Buffer.from(JSON.stringify(repositories))]);
  return Readable.from(archiveChunks([...blobs.values()], files), { objectMode: false });
}

async function* archiveChunks(blobs: BlobEntry[], files: Array<[string, Buffer]>): AsyncGenerator<Buffer> {
  const mtime = 0;
  try {
    yield tarHeader({ name: 'blobs', type: 'dir', mtime });
    yield tarHeader({ name: 'blobs/sha256', type: 'dir', mtime });
    for (const b of blobs) {
      yield tarHeader({ name: `blobs/sha256/${digestHex(b.digest)}`, type: 'file', size: b.size, mtime });
      if (b.data) {
        yield b.data;
      } else {
        let sent = 0;
        const fh = b.fh!;
        b.fh = undefined;
        try {
          if (b.size > 0) {
            for await (const c of fh.createReadStream({ start: 0, end: b.size - 1, autoClose: false })) {
              const chunk = c as Buffer;
              sent += chunk.length;
              yield chunk;
            }
          }
        } finally {
          await fh.close();
        }
        if (sent !== b.size) throw new Error(`blob ${b.digest} changed size while saving`);
      }
      yield tarPadding(b.size);
    }
    for (const [name, data] of files) {
      yield tarHeader({ name, type: 'file', size: data.length, mtime });
      yield data;
      yield tarPadding(data.length);
    }
    yield tarTrailer();
  } finally {
    for (const b of blobs) await b.fh?.close();
  }
}
