export * from './digest.js';
export * from './reference.js';
export * from './image.js';
export * from './chain-id.js';
