// One process per PGlite data directory: the lock open-database.ts takes, in one process and across real
// control plane processes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORT_RANGES, portPicker } from '@cairn/backends/testing';
import { CairnError, Code } from '@cairn/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { DataStore } from '../index.js';
import { PGLITE_LOCK_FILE } from './data-dir-lock.js';

const main = fileURLToPath(new URL('../../main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-pglite-lock-'));
  dirs.push(dir);
  return dir;
}

/** The services run as processes of their own: their ports come from below the ephemeral range. */
const freePort = portPicker(PORT_RANGES.embedded);

/** A control plane config on PGlite in `dir/db`, on ports of its own. */
async function configIn(dir: string, name: string): Promise<{ file: string; httpUrl: string }> {
  const http = await freePort();
  const file = join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      stateDir: '.',
      database: { pgliteDir: 'db' },
      grpc: { host: '127.0.0.1', port: await freePort() },
      http: { host: '127.0.0.1', port: http },
    }),
  );
  return { file, httpUrl: `http://127.0.0.1:${http}` };
}

function environment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return env;
}

/** `controlplane serve`, resolved once it reports ready. */
async function serve(configFile: string, httpUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', tsx, main, 'serve', '--config', configFile], {
    env: environment(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const deadline = Date.now() + 60_000;
  while (!(await ready(httpUrl))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the control plane did not become ready (exit ${child.exitCode}): ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

async function ready(httpUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** Runs `controlplane ...args` to its end (at most a minute). */
function controlplane(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    execFile(
      process.execPath,
      ['--import', tsx, main, ...args],
      { env: environment(), timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, ms: Date.now() - started }),
    );
  });
}

/** The one line a refused opener prints, naming the folder and the process that has it. */
function refusal(dataDir: string, pid: number, prefix = 'controlplane: '): RegExp {
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped(`${prefix}the PGlite database ${dataDir} is open in another process (pid ${pid}, since `)}[^\\n]*${escaped(
      `); stop that process first (\`kill ${pid}\`), or give this one a database.pgliteDir of its own`,
    )}\\n?$`,
  );
}

describe('the PGlite data directory lock', () => {
  it('refuses a second open in the same process with FAILED_PRECONDITION until the first closes', async () => {
    const dataDir = join(await tempDir(), 'db');
    const first = await DataStore.open({ kind: 'pglite', dataDir });
    try {
      const second = DataStore.open({ kind: 'pglite', dataDir });
      await expect(second).rejects.toBeInstanceOf(CairnError);
      await expect(second).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        details: { reason: 'pglite_dir_in_use', dataDir, pid: String(process.pid) },
      });
      await expect(second).rejects.toThrow(refusal(dataDir, process.pid, ''));
      const record = JSON.parse(await readFile(join(dataDir, PGLITE_LOCK_FILE), 'utf8'));
      expect(record).toMatchObject({ pid: process.pid });
    } finally {
      await first.close();
    }
    const again = await DataStore.open({ kind: 'pglite', dataDir });
    await again.close();
  });

  it('refuses a second control plane on the same pgliteDir, and the first keeps serving', async () => {
    const dir = await tempDir();
    const one = await configIn(dir, 'one');
    const two = await configIn(dir, 'two');
    const first = await serve(one.file, one.httpUrl);

    const second = await controlplane(['serve', '--config', two.file]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(refusal(join(dir, 'db'), first.pid ?? -1));
    expect(await ready(two.httpUrl)).toBe(false);
    expect(await ready(one.httpUrl)).toBe(true);
    expect(first.exitCode).toBeNull();
  });

  it('refuses controlplane bootstrap while a control plane serves on the folder, and runs it once that one is killed -9', async () => {
    const dir = await tempDir();
    const config = await configIn(dir, 'controlplane');
    const server = await serve(config.file, config.httpUrl);

    const refused = await controlplane(['bootstrap', '--admin', '--config', config.file]);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(refusal(join(dir, 'db'), server.pid ?? -1));
    expect(await ready(config.httpUrl)).toBe(true);

    // The kernel drops the lock with the process: nothing stale is left to clear by hand.
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
    const bootstrap = await controlplane(['bootstrap', '--admin', '--config', config.file]);
    expect(bootstrap.stderr).toContain('created an admin token');
    expect(bootstrap.code).toBe(0);
    expect(bootstrap.stdout.trim()).toMatch(/^cairn_[\w-]{43}$/);
  });
});
