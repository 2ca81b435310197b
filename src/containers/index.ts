export { ContainerService, readHostResolvConf, signalNumber, signalName, type ImageLookup, type CreateRequest, type ContainerRecord } from './service.js';
export { makeSeccompProvider, loadDefaultProfile } from './seccomp.js';
export { parseAttachPacket, type AttachSession, type OutputKind, type OutputListener } from './attach-point.js';
export { ExecManager, startErrorExitCode, type ExecCreateBody, type StartedExec } from './exec.js';
