export { ConmonRuntime, runtimeErrorMessage } from './conmon.js';
export type { RuntimeHandler, CreateOptions, ExitInfo, ContainerStatus } from './conmon.js';
export { parseSignal } from './signals.js';
