export type { LogEntry } from './types.js';
export { LogPump, type LogPumpOptions } from './log-pump.js';
export { readLogs, type ReadLogsOptions } from './read-logs.js';
export { parseSize } from './size.js';
export { frame, Demuxer, STDIN, STDOUT, STDERR, SYSTEMERR, type StdStream, type Frame } from './stdcopy.js';
export {
  parseK8sLine, splitK8sRecords, K8sJoiner, K8sLogParser, MAX_JOINED_LINE,
  type K8sRecord, type K8sRecordAt, type JoinerState, type LogStream,
} from './k8s-file.js';
export { encodeJsonLogLine, decodeJsonLogLine, listLogFiles } from './json-file.js';
export { parseRfc3339Ns, formatRfc3339Nano } from './time.js';
