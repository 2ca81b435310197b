export { ConmonRuntime, runtimeErrorMessage } from './conmon.js';
export type { RuntimeHandler, CreateOptions, ExitInfo, ContainerStatus } from './conmon.js';
export { parseSignal } from './signals.js';
export type { ExecContext } from './conmon.js';
export { spawnExec, ExecStartError, type ExecHandle, type ExecSpawnOptions } from './exec.js';
