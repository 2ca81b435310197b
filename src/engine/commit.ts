import { ContainerFiles } from '../containers/index.js';
import type { ContainerConfigLike } from '../images/index.js';
import type { Engine } from './engine.js';

export interface CommitRequest {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Freeze the container while its changes are archived (Docker's default). */
  pause: boolean;
  changes: string[];
  /** POST /commit body: a container config whose set fields override the container's. */
  config?: ContainerConfigLike;
}

/** `docker commit`: the container's changes become the top layer of a child of its image. Returns the image ID. */
export async function commitContainer(engine: Engine, ref: string, r: CommitRequest): Promise<string> {
  const files = new ContainerFiles(engine.containers);
  return files.diffLayer(ref, { pause: r.pause }, async (layer, rec, empty) => {
    const containerConfig: ContainerConfigLike = { ...(rec.Config as ContainerConfigLike) };
    for (const [k, v] of Object.entries(r.config ?? {})) if (v !== null && v !== undefined) containerConfig[k] = v;
    return engine.images.commit({
      parent: rec.Image,
      layer,
      emptyLayer: empty,
      containerId: rec.Id,
      containerConfig,
      changes: r.changes,
      ...(r.comment ? { comment: r.comment } : {}),
      ...(r.author ? { author: r.author } : {}),
      ...(r.repo ? { repo: r.repo } : {}),
      ...(r.tag ? { tag: r.tag } : {}),
    });
  });
}
