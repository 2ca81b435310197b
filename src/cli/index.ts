export { main, ROOT, GLOBAL_FLAGS } from './main.js';
export type { MainIo } from './main.js';
