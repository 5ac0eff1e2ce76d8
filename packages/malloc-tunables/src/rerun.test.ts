import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNABLES_SETTING } from './malloc-tunables.js';

const fixture = fileURLToPath(new URL('./testing/rerun-fixture.ts', import.meta.url));

interface BodyRun {
  readonly pid: number;
  readonly ppid: number;
  readonly tunables: string | null;
}

function startFixture(args: string[], tunables: string): ChildProcess {
  return spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fixture, ...args], {
    env: { ...process.env, GLIBC_TUNABLES: tunables },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function firstLine(child: ChildProcess): Promise<BodyRun> {
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return JSON.parse(chunk.toString().split('\n')[0] ?? '') as BodyRun;
}

async function exitStatus(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('rerunWithMallocTunables (glibc)', () => {
  it('runs the body once, in a child that has the settings, and exits with its status', async () => {
    const child = startFixture(['7'], '');
    const output: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    expect(await exitStatus(child)).toBe(7);
    const runs = Buffer.concat(output).toString().trim().split('\n');
    expect(runs).toHaveLength(1);
    const body = JSON.parse(runs[0] ?? '') as BodyRun;
    expect(body.ppid).toBe(child.pid);
    expect(body.tunables).toBe(MALLOC_TUNABLES_SETTING);
  });

  it('runs the body in place when the settings are there already', async () => {
    const child = startFixture(['0'], MALLOC_TUNABLES_SETTING);
    const body = await firstLine(child);
    expect(body.pid).toBe(child.pid);
    expect(await exitStatus(child)).toBe(0);
  });

  it('passes a SIGTERM on to the child and exits as the child did (128 + 15)', async () => {
    const child = startFixture(['wait'], '');
    const body = await firstLine(child);
    expect(body.ppid).toBe(child.pid);
    child.kill('SIGTERM');
    expect(await exitStatus(child)).toBe(143);
    expect(() => process.kill(body.pid, 0)).toThrow(/ESRCH/);
  });
});
