import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './service-process.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL 15 cluster of the test's own, which it may stop, start and restart at will. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string;
  /** Stops the server (`-m fast`: sessions are terminated, as a restart by an operator does). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  startServer(): Promise<void>;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

/**
 * initdb and pg_ctl from Debian's postgresql-15, run as the `postgres` user when this process is root
 * (initdb refuses root), with data, socket and log in a temp dir and the server on a free 127.0.0.1 port.
 * A missing PostgreSQL fails the test that needs it, with the reason.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = (await freePorts(1))[0] ?? 0;
  const asOwner = async (command: string, args: readonly string[]) => {
    try {
      if (process.getuid?.() === 0)
        await run('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]);
      else await run(join(BIN, command), args);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      const tail = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`${command} failed: ${stderr.trim()}\n${tail.split('\n').slice(-15).join('\n')}`, {
        cause: error,
      });
    }
  };
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
  const startServer = () =>
    asOwner('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
  const stopServer = () => asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  let started = false;
  const remove = async () => {
    if (started) await stopServer().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      await chown(dir, Number(stdout.trim()), Number(group.trim()));
    }
    await asOwner('initdb', ['-D', data, '--auth=trust', '--no-sync', '-U', 'postgres', '-E', 'UTF8']);
    await startServer();
    started = true;
  } catch (error) {
    await remove();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stopServer, startServer, remove };
}
