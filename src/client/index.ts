export { EngineClient, ApiError, ConnectionError, MAX_API_VERSION, FALLBACK_API_VERSION, compareVersions, encodeQuery } from './engine-client.js';
export type { RequestOptions, Query, QueryValue, PingInfo, HijackedConnection } from './engine-client.js';
export { resolveHost, parseHost, DEFAULT_HOST } from './host.js';
export type { DaemonAddress } from './host.js';
export { StdcopyDemuxer, demuxStream, copyStream, encodeFrame, STDIN, STDOUT, STDERR, SYSTEMERR } from './stdcopy.js';
export { readJsonLines } from './ndjson.js';
