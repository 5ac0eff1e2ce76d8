// One `npm start` per folder (scripts/embedded/instance-lock.ts), against real start scripts and their
// services: tested here beside embedded-default.test.ts, since the scripts folder has no test project.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORT_RANGES, portPicker } from '@cairn/backends/testing';
import { loadOrCreateSigningKey, mintCasToken } from '@cairn/cas-token';
import { afterEach, describe, expect, it } from 'vitest';
import { blobOf, bytesOf } from './testing/cas-harness.js';

const startScript = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const dirs: string[] = [];
const children: ChildProcess[] = [];
/** Services the start scripts ran: killed too, since a test may leave one stopped (SIGSTOP) or orphaned. */
const services = new Set<number>();

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of services) signal(pid, 'SIGKILL');
  services.clear();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-embedded-lock-'));
  dirs.push(dir);
  return dir;
}

/** The services run as processes of their own: their ports come from below the ephemeral range. */
const freePort = portPicker(PORT_RANGES.embedded);

interface Ports {
  readonly grpc: number;
  readonly http: number;
  readonly controlPlaneGrpc: number;
  readonly controlPlaneHttp: number;
}

async function freePorts(): Promise<Ports> {
  return {
    grpc: await freePort(),
    http: await freePort(),
    controlPlaneGrpc: await freePort(),
    controlPlaneHttp: await freePort(),
  };
}

function environment(ports: Ports): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CAIRN_CAS_GRPC_PORT: String(ports.grpc),
    CAIRN_CAS_HTTP_PORT: String(ports.http),
    CAIRN_CONTROLPLANE_GRPC_PORT: String(ports.controlPlaneGrpc),
    CAIRN_CONTROLPLANE_HTTP_PORT: String(ports.controlPlaneHttp),
    CAIRN_CAS_GRPC_ADDRESS: `127.0.0.1:${ports.grpc}`,
  };
}

interface Launched {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** `npm start` (the script it runs) in `cwd`, its stdout and stderr collected together. */
function launch(cwd: string, ports: Ports): Launched {
  const child = spawn(process.execPath, ['--import', tsx, startScript], {
    cwd,
    env: environment(ports),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => output };
}

/** Resolves once the start script says Cairn is running; fails as soon as it exits, or after two minutes. */
async function untilRunning(started: Launched): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = setInterval(() => {
      if (started.output().includes('Cairn is running')) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`start.ts was not running after two minutes:\n${started.output()}`));
      }
    }, 50);
    void started.exited.then(() => {
      clearInterval(poll);
      reject(new Error(`start.ts exited early:\n${started.output()}`));
    });
  });
}

interface LockRecord {
  pid: number;
  startedAt: string;
  /** Written once the services are spawned. */
  services?: Record<string, number>;
}

/** What `.cairn/cairn.lock` says; its services are remembered for the clean-up. */
async function lockRecord(cwd: string): Promise<LockRecord> {
  const record = JSON.parse(await readFile(join(cwd, '.cairn', 'cairn.lock'), 'utf8')) as LockRecord;
  for (const pid of Object.values(record.services ?? {})) services.add(pid);
  return record;
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** A token as `cairn dev token` mints it from `.cairn/cli.json`. */
async function devToken(cwd: string, role: 'upload' | 'download'): Promise<string> {
  const { dev } = JSON.parse(await readFile(join(cwd, '.cairn', 'cli.json'), 'utf8'));
  const key = await loadOrCreateSigningKey(dev.signingKeyFile);
  return mintCasToken(
    key,
    {
      sub: 'dev:test',
      org: dev.org,
      role,
      backend: dev.backend,
      secret: dev.secret,
      max_bytes: dev.maxBytes,
    },
    { issuer: dev.issuer, audience: dev.audience },
  );
}

/** True once no live process has `pid` (a zombie waiting for its reaper counts as gone). */
async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

describe('one npm start per folder', () => {
  it('refuses a second npm start in the same folder at once, with one line naming the first, which keeps serving', async () => {
    const cwd = await tempDir();
    const ports = await freePorts();
    const first = launch(cwd, ports);
    await untilRunning(first);
    const { pid, startedAt } = await lockRecord(cwd);
    expect(pid).toBe(first.child.pid);
    const expected = `cairn: Cairn is already running in ${cwd} (pid ${pid}, since ${startedAt}): control plane gRPC 127.0.0.1:${ports.controlPlaneGrpc} HTTP http://127.0.0.1:${ports.controlPlaneHttp}, artifact CAS gRPC 127.0.0.1:${ports.grpc} HTTP http://127.0.0.1:${ports.http}; stop it with Ctrl-C in its terminal or \`kill ${pid}\`, then run npm start again`;

    const began = Date.now();
    const second = launch(cwd, ports);
    expect(await second.exited).toBe(1);
    const refusedInMs = Date.now() - began;
    // Exactly one line: no "Cairn is running", no service started (their logs would show here).
    expect(second.output()).toBe(`${expected}\n`);
    // At once: the time to load the script, not a wait on a port or a database.
    expect(refusedInMs).toBeLessThan(15_000);

    // On a terminal too, as a person types it (script(1) gives it a pseudo-terminal and its exit code).
    const command = [process.execPath, '--import', tsx, startScript]
      .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
      .join(' ');
    const onTerminal = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: environment(ports),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(onTerminal);
    let screen = '';
    onTerminal.stdout?.on('data', (chunk) => (screen += chunk));
    onTerminal.stderr?.on('data', (chunk) => (screen += chunk));
    const [terminalCode] = await once(onTerminal, 'exit');
    expect(terminalCode).toBe(1);
    expect(screen.replaceAll('\r\n', '\n')).toBe(`${expected}\n`);

    // The first is untouched: same lock holder, both services ready, uploads served.
    expect((await lockRecord(cwd)).pid).toBe(pid);
    expect(first.child.exitCode).toBeNull();
    expect(await ready(`http://127.0.0.1:${ports.controlPlaneHttp}`)).toBe(true);
    expect(await ready(`http://127.0.0.1:${ports.http}`)).toBe(true);
    const data = bytesOf(10_000, 71);
    const put = await fetch(`http://127.0.0.1:${ports.http}/v1/blobs/${blobOf(data).digest}`, {
      method: 'PUT',
      body: data,
      headers: { authorization: `Bearer ${await devToken(cwd, 'upload')}` },
    });
    expect(put.status).toBe(201);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
  }, 180_000);

  it('after kill -9 of npm start, a new start waits for the services it left, then takes over; after kill -9 of all, at once', async () => {
    const cwd = await tempDir();
    const ports = await freePorts();
    const first = launch(cwd, ports);
    await untilRunning(first);
    const data = bytesOf(20_000, 72);
    const url = `http://127.0.0.1:${ports.http}/v1/blobs/${blobOf(data).digest}`;
    const put = await fetch(url, {
      method: 'PUT',
      body: data,
      headers: { authorization: `Bearer ${await devToken(cwd, 'upload')}` },
    });
    expect(put.status).toBe(201);
    const download = async () => {
      const get = await fetch(url, {
        headers: { authorization: `Bearer ${await devToken(cwd, 'download')}` },
      });
      return Buffer.from(await get.arrayBuffer());
    };

    // The start script dies alone; its CAS is frozen so it cannot notice yet, and keeps its ports and the lock.
    const firstRecord = await lockRecord(cwd);
    const cas = firstRecord.services?.['artifact-cas'] ?? -1;
    expect(cas).toBeGreaterThan(0);
    process.kill(cas, 'SIGSTOP');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = launch(cwd, ports);
    await expect
      .poll(() => second.output(), { timeout: 60_000, interval: 100 })
      .toContain(
        `cairn: waiting for the services of the last run in ${join(cwd, '.cairn')} to stop (its start script, pid ${firstRecord.pid}, has ended)`,
      );
    expect(second.output()).not.toContain('Cairn is running');
    expect(second.child.exitCode).toBeNull();
    // Thawed, the CAS finds its supervisor gone and stops; only then does the new start take the folder.
    process.kill(cas, 'SIGCONT');
    await untilRunning(second);
    expect(await processGone(cas)).toBe(true);
    expect(second.output()).not.toContain('exited with code');
    expect((await download()).equals(data)).toBe(true);

    // Everything killed at once, as a crash would: the lock file still names the dead start, and nothing
    // holds the lock, so the next start takes over without waiting.
    const secondRecord = await lockRecord(cwd);
    expect(secondRecord.pid).toBe(second.child.pid);
    const all = [secondRecord.pid, ...Object.values(secondRecord.services ?? {})];
    expect(all).toHaveLength(3);
    for (const pid of all) signal(pid, 'SIGKILL');
    await second.exited;
    await expect.poll(async () => (await Promise.all(all.map(processGone))).every(Boolean)).toBe(true);
    const third = launch(cwd, ports);
    await untilRunning(third);
    expect(third.output()).not.toContain('waiting for the services');
    expect((await lockRecord(cwd)).pid).toBe(third.child.pid);
    expect((await download()).equals(data)).toBe(true);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 240_000);
});
