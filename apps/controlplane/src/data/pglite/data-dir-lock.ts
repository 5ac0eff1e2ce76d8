import { hostname } from 'node:os';
import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { FolderLock, type LockHolder } from './folder-lock.js';

/** The lock file inside a PGlite data directory (PostgreSQL leaves files it does not know alone). */
export const PGLITE_LOCK_FILE = 'cairn.lock';

/**
 * Takes the PGlite data directory `dataDir` (which must exist) for this process alone. PGlite has no lock
 * of its own, and two processes writing one directory corrupt it; so a second opener (a second control
 * plane, or `controlplane bootstrap` beside a running one) is refused with FAILED_PRECONDITION, naming the
 * process that has it. The lock goes with `release()` or with this process.
 */
export async function lockPGliteDirectory(dataDir: string): Promise<FolderLock> {
  const attempt = await FolderLock.tryAcquire(join(dataDir, PGLITE_LOCK_FILE), {
    command: process.argv.slice(1).join(' '),
  });
  if (attempt.acquired) return attempt.lock;
  const { holder } = attempt;
  throw new CairnError(
    Code.FailedPrecondition,
    `the PGlite database ${dataDir} is open in another process (${describeHolder(holder)}); stop that process first${
      holder ? ` (\`kill ${holder.pid}\`)` : ''
    }, or give this one a database.pgliteDir of its own`,
    {
      details: {
        reason: 'pglite_dir_in_use',
        dataDir,
        ...(holder ? { pid: String(holder.pid), host: holder.host } : {}),
      },
    },
  );
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return `it has written nothing to ${PGLITE_LOCK_FILE} yet`;
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
  const command = typeof holder.command === 'string' && holder.command !== '' ? `: ${holder.command}` : '';
  return `pid ${holder.pid}${where}, since ${holder.startedAt}${command}`;
}
