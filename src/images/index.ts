export {
  ImageService, rfc3339Nano,
  type ImageServiceOptions, type ResolvedImage, type DeleteRecord, type ImportOptions, type ListOptions, type PullOptions,
} from './service.js';
export { applyChanges } from './changes.js';
export { type CommitOptions, type ContainerConfigLike } from './commit.js';
export { type Registry, type RegistrySession, type RegistryCredentials, type ProgressMessage, type Progress } from './pull.js';
