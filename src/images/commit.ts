import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../base/index.js';
import {
  parseNormalizedNamed, validateTag, withDefaultTag, type Digest, type ImageConfig, type ImageRuntimeConfig, type Reference,
} from '../oci/index.js';
import { applyChanges } from './changes.js';

/** A container's config as the container service keeps it (Docker's container.Config; nulls allowed). */
export type ContainerConfigLike = { [K in keyof ImageRuntimeConfig]?: ImageRuntimeConfig[K] | null } & Record<string, unknown>;

export interface CommitOptions {
  /** The container's image (its parent), by ID. */
  parent: string;
  /** The container's changes as an uncompressed layer tar. */
  layer: Readable;
  /** No change at all: Docker records no layer then (history entry marked empty_layer). */
  emptyLayer: boolean;
  containerId: string;
  containerConfig: ContainerConfigLike;
  changes?: string[];
  comment?: string;
  author?: string;
  repo?: string;
  tag?: string;
}

const RUNTIME_KEYS = [
  'User', 'ExposedPorts', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Volumes', 'WorkingDir', 'Entrypoint',
  'OnBuild', 'Labels', 'StopSignal', 'Shell',
] as const satisfies ReadonlyArray<keyof ImageRuntimeConfig>;

/**
 * The new image's runtime config, as moby's CreateImageFromContainer: the container's config (which already holds
 * what it inherited from its image) with the `--change` instructions applied on top. Null fields are dropped.
 */
export function commitRuntimeConfig(container: ContainerConfigLike, changes: readonly string[]): ImageRuntimeConfig {
  const base: Record<string, unknown> = {};
  for (const k of RUNTIME_KEYS) {
    const v = container[k];
    if (v !== null && v !== undefined) base[k] = structuredClone(v);
  }
  return applyChanges(base as ImageRuntimeConfig, changes);
}

/** `repo` and `tag` of POST /commit as the reference to tag (undefined without repo). */
export function commitTarget(repo: string | undefined, tag: string | undefined): Reference | undefined {
  if (!repo) {
    if (tag) throw new InvalidArgumentError('tag requires a repository name');
    return undefined;
  }
  let r = parseNormalizedNamed(repo);
  if (r.digest) throw new InvalidArgumentError('cannot commit to digest reference');
  if (tag) r = { ...r, tag: validateTag(tag) };
  return withDefaultTag(r);
}

/** moby's image.NewChildImage: the parent's platform, rootfs and history extended by one entry. */
export function childImageConfig(parent: ImageConfig, o: {
  runtime: ImageRuntimeConfig; diffId: Digest | undefined; created: string; author?: string; comment?: string; createdBy: string;
}): ImageConfig {
  return {
    architecture: parent.architecture,
    os: parent.os,
    ...(parent.variant ? { variant: parent.variant } : {}),
    ...(parent['os.version'] ? { 'os.version': parent['os.version'] } : {}),
    created: o.created,
    ...(o.author ? { author: o.author } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
    config: o.runtime,
    rootfs: { type: 'layers', diff_ids: [...parent.rootfs.diff_ids, ...(o.diffId ? [o.diffId] : [])] },
    history: [
      ...(parent.history ?? []),
      {
        created: o.created,
        ...(o.author ? { author: o.author } : {}),
        created_by: o.createdBy,
        ...(o.comment ? { comment: o.comment } : {}),
        ...(o.diffId ? {} : { empty_layer: true }),
      },
    ],
  };
}
