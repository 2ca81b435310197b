export { LocalContentStore, type WriteResult } from './store.js';
