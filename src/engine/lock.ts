import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, errnoCode } from '../base/index.js';
import { isAlive } from '../sys/index.js';

/**
 * Holds `<data-root>/berthd.lock` (our pid inside) while the daemon runs. A lock left by a dead daemon
 * (pid gone or a zombie) is taken over.
 */
export async function acquireDataRootLock(dataRoot: string): Promise<() => Promise<void>> {
  const path = join(dataRoot, 'berthd.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
      await fh.close();
      return async () => {
        const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (pid === process.pid) await rm(path, { force: true });
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new FailedPreconditionError(`another berthd (pid ${pid}) is already running on data root ${dataRoot}`);
      }
      await rm(path, { force: true });
    }
  }
  throw new FailedPreconditionError(`could not take the lock on data root ${dataRoot}`);
}
