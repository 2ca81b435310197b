export * from './mount.js';
export * from './process.js';
export * from './cgroup.js';
export * from './securejoin.js';
export * from './seqpacket.js';
export * from './cgroup-files.js';
export * from './cgroup-freeze.js';
