// The embedded default of `npm start` (scripts/start.ts and scripts/embedded/): tested here because the
// scripts folder has no test project of its own and the CAS is what it starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORT_RANGES, portPicker } from '@cairn/backends/testing';
import { type CasGrant, loadOrCreateSigningKey, mintCasToken } from '@cairn/cas-token';
import { silentLogger } from '@cairn/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureEmbeddedHome } from '../../../scripts/embedded/bootstrap.js';
import { CAS_NODE_FLAGS } from './app/node-flags.js';
import { startArtifactCas } from './app/start.js';
import { blobOf, bytesOf } from './testing/cas-harness.js';

const startScript = fileURLToPath(new URL('../../../scripts/start.ts', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-embedded-'));
  dirs.push(dir);
  return dir;
}

/** The command line of the CAS process whose arguments mention `home` (its config file lives there). */
async function casCommandLine(home: string): Promise<string[]> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (
      args.some((arg) => arg.endsWith('artifact-cas/src/main.ts')) &&
      args.some((arg) => arg.startsWith(home))
    ) {
      return args;
    }
  }
  throw new Error(`no CAS process with a config under ${home}`);
}

/** The services run as processes of their own: their ports come from below the ephemeral range. */
const freePort = portPicker(PORT_RANGES.embedded);

interface CliJson {
  cas: { grpc: string; http: string };
  dev: {
    signingKeyFile: string;
    issuer: string;
    audience: string;
    org: string;
    backend: CasGrant['backend'];
    secret: string;
    maxBytes: number;
  };
}

/** A token as `cairn dev token` mints it from `.cairn/cli.json`. */
async function devToken(cliFile: string, role: 'upload' | 'download'): Promise<string> {
  const { dev } = JSON.parse(await readFile(cliFile, 'utf8')) as CliJson;
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

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('embedded bootstrap', () => {
  it('lays out .cairn once, keeps keys and an edited cas.json, and serves uploads with cli.json tokens', async () => {
    const dir = await tempDir();
    const env = { CAIRN_CAS_GRPC_PORT: '0', CAIRN_CAS_HTTP_PORT: '0' };
    const first = await ensureEmbeddedHome(dir, env);
    const { layout } = first;
    expect(await mode(layout.home)).toBe(0o700);
    expect(await mode(layout.signingKeyFile)).toBe(0o600);
    expect(await mode(layout.secretStoreKeyFile)).toBe(0o600);
    expect(await mode(layout.secretsDir)).toBe(0o700);
    expect(await mode(layout.blobsDir)).toBe(0o700);
    const cli = JSON.parse(await readFile(layout.cliConfigFile, 'utf8')) as CliJson;
    expect(cli).toEqual({
      cas: { grpc: '127.0.0.1:0', http: 'http://127.0.0.1:0' },
      dev: {
        signingKeyFile: layout.signingKeyFile,
        issuer: 'cairn-dev',
        audience: 'cairn-artifact-cas',
        org: 'dev',
        backend: { id: 'dev-filesystem', provider: 'filesystem', location: layout.blobsDir },
        secret: '',
        maxBytes: 10 * 1024 ** 3,
      },
    });
    expect(first.cas.secrets).toEqual({
      kind: 'file',
      directory: layout.secretsDir,
      keyFile: layout.secretStoreKeyFile,
    });

    const key = await readFile(layout.signingKeyFile, 'utf8');
    const storeKey = await readFile(layout.secretStoreKeyFile, 'utf8');
    const edited = JSON.parse(await readFile(layout.casConfigFile, 'utf8'));
    await writeFile(layout.casConfigFile, JSON.stringify({ ...edited, shutdownGraceMs: 1234 }));
    const second = await ensureEmbeddedHome(dir, env);
    expect(await readFile(layout.signingKeyFile, 'utf8')).toBe(key);
    expect(await readFile(layout.secretStoreKeyFile, 'utf8')).toBe(storeKey);
    expect(second.cas.shutdownGraceMs).toBe(1234);

    const cas = await startArtifactCas(second.cas, { logger: silentLogger });
    try {
      const data = bytesOf(50_000, 61);
      const url = `${cas.httpUrl}/v1/blobs/${blobOf(data).digest}`;
      const put = await fetch(url, {
        method: 'PUT',
        body: data,
        headers: { authorization: `Bearer ${await devToken(layout.cliConfigFile, 'upload')}` },
      });
      expect(put.status).toBe(201);
      const get = await fetch(url, {
        headers: { authorization: `Bearer ${await devToken(layout.cliConfigFile, 'download')}` },
      });
      expect(Buffer.from(await get.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await cas.close();
    }
  });
});

interface Ports {
  readonly grpc: number;
  readonly http: number;
  readonly controlPlaneGrpc: number;
  readonly controlPlaneHttp: number;
}

describe('scripts/start.ts', () => {
  async function start(cwd: string, ports: Ports) {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), startScript], {
      cwd,
      env: {
        ...process.env,
        CAIRN_CAS_GRPC_PORT: String(ports.grpc),
        CAIRN_CAS_HTTP_PORT: String(ports.http),
        CAIRN_CONTROLPLANE_GRPC_PORT: String(ports.controlPlaneGrpc),
        CAIRN_CONTROLPLANE_HTTP_PORT: String(ports.controlPlaneHttp),
        CAIRN_CAS_GRPC_ADDRESS: `127.0.0.1:${ports.grpc}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    await new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (output.includes('Cairn is running')) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
      void exited.then(() => {
        clearInterval(poll);
        reject(new Error(`start.ts exited early:\n${output}`));
      });
    });
    return { child, exited, output: () => output };
  }

  it('runs the services as children (the CAS with its node flags), prints where they listen, stops cleanly on SIGINT, and keeps state', async () => {
    const cwd = await tempDir();
    const ports: Ports = {
      grpc: await freePort(),
      http: await freePort(),
      controlPlaneGrpc: await freePort(),
      controlPlaneHttp: await freePort(),
    };
    const first = await start(cwd, ports);
    expect(first.output()).toContain(`gRPC 127.0.0.1:${ports.grpc}`);
    expect(first.output()).toContain(`HTTP http://127.0.0.1:${ports.http}`);
    const casArgs = await casCommandLine(cwd);
    const entryAt = casArgs.findIndex((arg) => arg.endsWith('artifact-cas/src/main.ts'));
    for (const flag of CAS_NODE_FLAGS) {
      const at = casArgs.indexOf(flag);
      expect(at, `${flag} in ${casArgs.join(' ')}`).toBeGreaterThan(0);
      expect(at).toBeLessThan(entryAt);
    }
    const cliFile = join(cwd, '.cairn', 'cli.json');
    const data = bytesOf(10_000, 62);
    const url = `http://127.0.0.1:${ports.http}/v1/blobs/${blobOf(data).digest}`;
    const put = await fetch(url, {
      method: 'PUT',
      body: data,
      headers: { authorization: `Bearer ${await devToken(cliFile, 'upload')}` },
    });
    expect(put.status).toBe(201);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('artifact CAS stopped');
    // Shown on a pipe, and kept in .cairn/logs/ either way.
    expect(await readFile(join(cwd, '.cairn', 'logs', 'artifact-cas.log'), 'utf8')).toContain(
      'artifact CAS stopped',
    );

    const second = await start(cwd, ports);
    const get = await fetch(url, {
      headers: { authorization: `Bearer ${await devToken(cliFile, 'download')}` },
    });
    expect(Buffer.from(await get.arrayBuffer()).equals(data)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);

  it('keeps a terminal quiet: the summary on screen, the logs in .cairn/logs/', async () => {
    const cwd = await tempDir();
    const ports: Ports = {
      grpc: await freePort(),
      http: await freePort(),
      controlPlaneGrpc: await freePort(),
      controlPlaneHttp: await freePort(),
    };
    // script(1) runs it on a pseudo-terminal, as a person's shell would; Ctrl-C is typed into it. `exec`
    // leaves the start script alone in the terminal's process group: dash (Debian's /bin/sh, which script
    // uses when $SHELL is unset or sh) would otherwise take the Ctrl-C too and die of it, so script
    // reports 130 whatever the start script did.
    const command = `exec ${[process.execPath, '--import', import.meta.resolve('tsx'), startScript]
      .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
      .join(' ')}`;
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd,
      env: {
        ...process.env,
        CAIRN_CAS_GRPC_PORT: String(ports.grpc),
        CAIRN_CAS_HTTP_PORT: String(ports.http),
        CAIRN_CONTROLPLANE_GRPC_PORT: String(ports.controlPlaneGrpc),
        CAIRN_CONTROLPLANE_HTTP_PORT: String(ports.controlPlaneHttp),
        CAIRN_CAS_GRPC_ADDRESS: `127.0.0.1:${ports.grpc}`,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    await expect.poll(() => output, { timeout: 120_000, interval: 100 }).toContain('Cairn is running');
    const health = await fetch(`http://127.0.0.1:${ports.http}/readyz`);
    expect(health.status).toBe(200);
    child.stdin?.write('\x03');
    expect(await exited, output).toBe(0);
    expect(output).toContain(`logs          ${join(cwd, '.cairn', 'logs')}`);
    expect(output).not.toContain('"service":"artifact-cas"');
    expect(output).not.toContain('"service":"controlplane"');
    const log = await readFile(join(cwd, '.cairn', 'logs', 'artifact-cas.log'), 'utf8');
    expect(log).toContain('"service":"artifact-cas"');
    expect(log).toContain('artifact CAS stopped');
  }, 240_000);
});
