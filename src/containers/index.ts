export { ContainerService, readHostResolvConf, signalNumber, signalName, type ImageLookup, type CreateRequest, type ContainerRecord } from './service.js';
