export { Engine, BERTH_VERSION } from './engine.js';
export { loadConfig, DEFAULT_SOCKET, type DaemonConfig, type DaemonFlags } from './config.js';
export { commitContainer, type CommitRequest } from './commit.js';
