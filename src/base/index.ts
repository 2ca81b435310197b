export * from './errors.js';
export * from './atomic-file.js';
export * from './keyed-mutex.js';
export * from './exec.js';
export * from './log.js';
export * from './detach-keys.js';
export * from './tar-names.js';
export * from './child-stdin.js';
