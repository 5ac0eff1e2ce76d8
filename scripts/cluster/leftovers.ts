import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The folders `npm run cluster` makes in the OS temp dir, and the file in each that names its run. */
export const RUN_PREFIX = 'cairn-cluster-';
const OWNER_FILE = 'owner.json';
/** The only database names a run makes; nothing else is ever dropped, whatever a file in /tmp says. */
const DATABASE_NAME = /^cairn_cluster_[0-9a-f]{8}$/;

/** Who holds a run's folder and database: written at start, so a later run can clean up after a kill -9. */
export interface RunOwner {
  readonly pid: number;
  readonly database: string;
}

export async function recordOwner(dir: string, owner: RunOwner): Promise<void> {
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
}

/**
 * Removes what runs killed with -9 left in `root`: their folder, and their database through `dropDatabase`.
 * Their replicas and HAProxy stopped by themselves when the script died (an IPC channel, a closed stdin);
 * the folder and the database are what only the script removed. A run counts as abandoned when its
 * owner's process is gone; a folder of another user, without an owner file (a run starting now) or naming
 * a database of another shape is left alone. Returns the folders removed.
 */
export async function sweepAbandonedRuns(
  root: string,
  dropDatabase: (name: string) => Promise<void>,
  isAlive: (pid: number) => boolean = processAlive,
): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const name of await readdir(root)) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const dir = join(root, name);
    const owner = await readOwner(dir);
    if (owner === undefined || isAlive(owner.pid)) continue;
    if (uid !== undefined && (await stat(dir)).uid !== uid) continue;
    await dropDatabase(owner.database);
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

async function readOwner(dir: string): Promise<RunOwner | undefined> {
  try {
    const { pid, database } = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Partial<RunOwner>;
    if (!Number.isSafeInteger(pid) || (pid ?? 0) <= 0) return undefined;
    if (typeof database !== 'string' || !DATABASE_NAME.test(database)) return undefined;
    return { pid: pid as number, database };
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
