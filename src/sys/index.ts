export * from './mount.js';
export * from './process.js';
export * from './cgroup.js';
