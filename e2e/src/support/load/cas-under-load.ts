import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { type CasRole, generateSigningKey, mintCasToken, publicJwks } from '@cairn/cas-token';
import { freePorts, ServiceProcess } from '../service-process.js';
import { GiB } from './seeded-blob.js';

const ISSUER = 'cairn-load';
const AUDIENCE = 'cairn-load-cas';

/** The artifact CAS the load runs against: its own process, a filesystem backend in a temp folder. */
export interface CasUnderLoad {
  readonly process: ServiceProcess;
  readonly pid: number;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** The filesystem backend's folder. */
  readonly blobs: string;
  readonly tokens: { readonly upload: string; readonly download: string };
  /** Stops the CAS (SIGTERM, then SIGKILL) and removes the temp folder. */
  close(): Promise<void>;
}

/**
 * Starts the CAS as `npm start` and the image do (`node --no-incremental-marking --import tsx main.ts`,
 * the malloc tunables in its environment), on free ports of 127.0.0.1, trusting the JWKS file of a key
 * made here, with one filesystem backend under a fresh temp folder. The tokens (one per role, for the
 * whole run) are minted with that key.
 */
export async function startCasUnderLoad(options: { lifetimeSeconds: number }): Promise<CasUnderLoad> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-load-'));
  try {
    const blobs = join(dir, 'blobs');
    await mkdir(blobs);
    const key = await generateSigningKey();
    const keyFile = join(dir, 'jwks.json');
    await writeFile(keyFile, JSON.stringify(publicJwks(key)));
    const [grpcPort, httpPort] = await freePorts(2);
    const configFile = join(dir, 'cas.json');
    await writeFile(
      configFile,
      JSON.stringify({
        grpc: { host: '127.0.0.1', port: grpcPort },
        http: { host: '127.0.0.1', port: httpPort },
        tokens: { issuer: ISSUER, audience: AUDIENCE, keyFile },
        backends: { filesystemRoots: [blobs] },
        log: { level: 'warn' },
        shutdownGraceMs: 2_000,
      }),
    );
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    const cas = new ServiceProcess({
      name: 'CAS',
      entry: 'apps/artifact-cas/src/main.ts',
      args: ['--config', configFile],
      nodeFlags: CAS_NODE_FLAGS,
      logFile: join(dir, 'cas.log'),
      readyUrl: `${httpUrl}/readyz`,
    });
    await cas.start();
    const pid = cas.pid;
    if (pid === undefined) throw new Error('the CAS exited as soon as it was ready');
    const mint = (role: CasRole) =>
      mintCasToken(
        key,
        {
          sub: 'load',
          org: 'load',
          role,
          backend: { id: 'load-fs', provider: 'filesystem', location: blobs },
          secret: '',
          max_bytes: role === 'upload' ? 4 * GiB : 0,
        },
        { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: options.lifetimeSeconds },
      );
    return {
      process: cas,
      pid,
      grpcAddress: `127.0.0.1:${grpcPort}`,
      httpUrl,
      blobs,
      tokens: { upload: await mint('upload'), download: await mint('download') },
      async close() {
        await cas.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A process's resident set (VmRSS of /proc/<pid>/status), in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
