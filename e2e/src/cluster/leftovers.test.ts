import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_PREFIX, recordOwner, sweepAbandonedRuns } from '../../../scripts/cluster/leftovers.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  if (child.pid === undefined) throw new Error('true did not start');
  return child.pid;
}

describe('npm run cluster after a run killed with -9', () => {
  it("removes the killed run's folder and database, and nothing of a live run or of anyone else", async () => {
    const root = await mkdtemp(join(tmpdir(), 'cairn-leftovers-'));
    roots.push(root);
    const run = async (name: string) => {
      const dir = join(root, `${RUN_PREFIX}${name}`);
      await mkdir(dir);
      await writeFile(join(dir, 'api-token'), 'x');
      return dir;
    };
    const killed = await run('killed');
    await recordOwner(killed, { pid: await deadPid(), database: 'cairn_cluster_0a1b2c3d' });
    const live = await run('live');
    await recordOwner(live, { pid: process.pid, database: 'cairn_cluster_11112222' });
    const starting = await run('starting'); // no owner file yet
    const planted = await run('planted');
    await writeFile(
      join(planted, 'owner.json'),
      JSON.stringify({ pid: await deadPid(), database: 'postgres' }),
    );
    await mkdir(join(root, 'unrelated'));

    const dropped: string[] = [];
    const removed = await sweepAbandonedRuns(root, async (name) => {
      dropped.push(name);
    });

    expect(removed).toEqual([killed]);
    expect(dropped).toEqual(['cairn_cluster_0a1b2c3d']);
    expect((await readdir(root)).sort()).toEqual(
      [live, starting, planted, join(root, 'unrelated')].map((dir) => dir.slice(root.length + 1)).sort(),
    );
  });

  it('keeps the folder when its database could not be dropped, so the next run tries again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cairn-leftovers-'));
    roots.push(root);
    const dir = join(root, `${RUN_PREFIX}killed`);
    await mkdir(dir);
    await recordOwner(dir, { pid: await deadPid(), database: 'cairn_cluster_0a1b2c3d' });
    await expect(
      sweepAbandonedRuns(root, async () => {
        throw new Error('PostgreSQL is down');
      }),
    ).rejects.toThrow('PostgreSQL is down');
    expect(await readdir(root)).toEqual([`${RUN_PREFIX}killed`]);
  });
});
