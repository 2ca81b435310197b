export {
  ImageService, rfc3339Nano,
  type ImageServiceOptions, type ResolvedImage, type DeleteRecord, type ImportOptions, type ListOptions, type PullOptions,
} from './service.js';
export { applyChanges } from './changes.js';
export { type CommitOptions, type ContainerConfigLike } from './commit.js';
export { type ImageSnapshot } from './service.js';
export { saveImages } from './save.js';
export { loadImages } from './load.js';
export { imageHistory, type HistoryItem } from './history.js';
export { pruneImages, type PruneReport } from './prune.js';
export { imageDiskUsage, type ImageUsage } from './df.js';
export { type Registry, type RegistrySession, type RegistryCredentials, type ProgressMessage, type Progress } from './pull.js';
export { DEFAULT_CONCURRENT_DOWNLOADS } from './pull.js';
export { DEFAULT_CONCURRENT_UPLOADS } from './push.js';
export { DEFAULT_RETRY } from './retry.js';
