export { ContainerService, readHostResolvConf, signalNumber, signalName, type ImageLookup, type CreateRequest, type ContainerRecord } from './service.js';
export { makeSeccompProvider, loadDefaultProfile } from './seccomp.js';
export { containerTop, parsePsOutput, validatePsArgs, type TopResult } from './top.js';
export { statsStream, emptyStats, readStats, type StatsJson, type StatsTarget } from './stats.js';
export { parseAttachPacket, type AttachSession, type OutputKind, type OutputListener } from './attach-point.js';
export { ExecManager, startErrorExitCode, type ExecCreateBody, type StartedExec } from './exec.js';
export { ContainerFiles } from './files.js';
export { type PathStat } from './archive.js';
export { type Change, ChangeKind } from './changes.js';
