export {
  ImageService, rfc3339Nano,
  type ImageServiceOptions, type ResolvedImage, type DeleteRecord, type ImportOptions, type ListOptions,
} from './service.js';
export { applyChanges } from './changes.js';
export { type CommitOptions, type ContainerConfigLike } from './commit.js';
