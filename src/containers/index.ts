export { ContainerService, readHostResolvConf, signalNumber, signalName, type ImageLookup, type CreateRequest, type ContainerRecord } from './service.js';
export { makeSeccompProvider, loadDefaultProfile } from './seccomp.js';
export { ContainerFiles } from './files.js';
export { type PathStat } from './archive.js';
export { type Change, ChangeKind } from './changes.js';
