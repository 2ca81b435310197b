import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ConflictError, errnoCode } from '../base/index.js';

/**
 * Sends a window-size message ("1 <height> <width>\n", conmon's WIN_RESIZE_EVENT) on conmon's `ctl` FIFO. Opened
 * non-blocking: without a reader (conmon gone) this fails at once instead of hanging.
 */
export async function writeControl(path: string, height: number, width: number): Promise<void> {
  let fh;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENXIO' || code === 'ENOENT') throw new ConflictError('cannot resize: the container (or exec) is not running', { cause: err });
    throw err;
  }
  try {
    await fh.write(`1 ${Math.max(0, Math.trunc(height))} ${Math.max(0, Math.trunc(width))}\n`);
  } finally {
    await fh.close();
  }
}
