export { ContainerService, readHostResolvConf, signalNumber, signalName, type ImageLookup, type CreateRequest, type ContainerRecord } from './service.js';
export { makeSeccompProvider, loadDefaultProfile } from './seccomp.js';
