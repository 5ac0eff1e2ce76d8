import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDebianPackages } from './apt.js';
import type { RunningServer } from './server.js';

const run = promisify(execFile);

/** One registry as tests see it: `host` is `127.0.0.1:<port>`; `storageDir` is its filesystem root. */
export interface RegistryEndpoint {
  readonly host: string;
  readonly storageDir: string;
}

export interface RegistryInfo {
  readonly open: RegistryEndpoint;
  readonly basicAuth: RegistryEndpoint & { readonly username: string; readonly password: string };
}

export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

/** How a registry started by `startRegistry` authenticates. */
export type RegistryAuth =
  | { readonly kind: 'none' }
  /** Basic auth; several users let a test rotate credentials from one account to another. */
  | { readonly kind: 'htpasswd'; readonly users: readonly [RegistryUser, ...RegistryUser[]] }
  | {
      readonly kind: 'token';
      readonly realm: string;
      readonly service: string;
      readonly issuer: string;
      /** PEM of the certificate(s) whose keys sign the tokens. */
      readonly rootCertificatePem: string;
    };

export const REGISTRY_PACKAGES = ['docker-registry', 'apache2-utils', 'skopeo'] as const;

/** Starts an open and a basic-auth registry (Debian's distribution 2.8) on free 127.0.0.1 ports. */
export async function startRegistries(): Promise<RunningServer<RegistryInfo>> {
  await ensureDebianPackages(REGISTRY_PACKAGES);
  const credentials = { username: 'cairn', password: randomBytes(12).toString('base64url') };
  const started = await Promise.allSettled([
    startRegistry({ kind: 'none' }),
    startRegistry({ kind: 'htpasswd', users: [credentials] }),
  ]);
  const [open, basic] = started;
  if (open?.status !== 'fulfilled' || basic?.status !== 'fulfilled') {
    await Promise.allSettled(
      started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : null)),
    );
    const reasons = started.flatMap((result) =>
      result.status === 'rejected' ? [String(result.reason)] : [],
    );
    throw new Error(`registries failed to start:\n${reasons.join('\n')}`);
  }
  return {
    info: { open: open.value.info, basicAuth: { ...basic.value.info, ...credentials } },
    stop: async () => {
      await Promise.allSettled([open.value.stop(), basic.value.stop()]);
    },
  };
}

/**
 * Starts one registry with its own config, temp storage and log file; resolves once it answers `/v2/`.
 * `deletes: false` runs it as many registries are set up: a DELETE of a manifest or blob answers 405.
 */
export async function startRegistry(
  auth: RegistryAuth,
  options: { readonly deletes?: boolean } = {},
): Promise<RunningServer<RegistryEndpoint>> {
  await ensureDebianPackages(REGISTRY_PACKAGES);
  const dir = await mkdtemp(join(tmpdir(), 'cairn-registry-'));
  try {
    return await startInDir(dir, auth, options.deletes ?? true);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startInDir(
  dir: string,
  auth: RegistryAuth,
  deletes: boolean,
): Promise<RunningServer<RegistryEndpoint>> {
  const storageDir = join(dir, 'storage');
  const logPath = join(dir, 'registry.log');
  const authConfig = await writeAuthFiles(dir, auth);
  // A port found free may be taken before the registry binds it; try a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, registryConfig(host, storageDir, authConfig, deletes));
    const child = await spawnLogged(configPath, logPath);
    try {
      await waitUntilReady(host, child);
      return {
        info: { host, storageDir },
        stop: async () => {
          await stopProcess(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await stopProcess(child);
      lastError = new Error(
        `docker-registry did not start on ${host}: ${String(error)}\n${await logTail(logPath)}`,
        {
          cause: error,
        },
      );
    }
  }
  throw lastError;
}

async function writeAuthFiles(dir: string, auth: RegistryAuth): Promise<string> {
  switch (auth.kind) {
    case 'none':
      return '';
    case 'htpasswd': {
      const lines: string[] = [];
      for (const user of auth.users) {
        lines.push((await run('htpasswd', ['-Bbn', user.username, user.password])).stdout.trim());
      }
      const path = join(dir, 'htpasswd');
      await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
      return ['auth:', '  htpasswd:', '    realm: cairn-test', `    path: ${yamlString(path)}`].join('\n');
    }
    case 'token': {
      const path = join(dir, 'token-roots.pem');
      await writeFile(path, auth.rootCertificatePem);
      return [
        'auth:',
        '  token:',
        `    realm: ${yamlString(auth.realm)}`,
        `    service: ${yamlString(auth.service)}`,
        `    issuer: ${yamlString(auth.issuer)}`,
        `    rootcertbundle: ${yamlString(path)}`,
      ].join('\n');
    }
  }
}

function registryConfig(host: string, storageDir: string, authConfig: string, deletes: boolean): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${yamlString(storageDir)}`,
    '  delete:',
    `    enabled: ${deletes}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${yamlString(host)}`,
    `  secret: ${yamlString(randomBytes(24).toString('hex'))}`,
    authConfig,
    '',
  ].join('\n');
}

/** JSON strings are valid YAML scalars and quote whatever a temp path may contain. */
function yamlString(value: string): string {
  return JSON.stringify(value);
}

async function spawnLogged(configPath: string, logPath: string): Promise<ChildProcess> {
  const log = await open(logPath, 'a');
  try {
    const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', log.fd, log.fd] });
    await Promise.race([once(child, 'spawn'), once(child, 'error').then(([error]) => Promise.reject(error))]);
    return child;
  } finally {
    await log.close();
  }
}

async function waitUntilReady(host: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited with ${child.exitCode ?? child.signalCode}`);
    }
    try {
      const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      // An auth-protected registry answers 401 once it serves.
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('it did not answer /v2/ within 20 s');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function logTail(path: string): Promise<string> {
  try {
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    return `last lines of ${path}:\n${lines.slice(-30).join('\n')}`;
  } catch {
    return `(no log at ${path})`;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
  });
}
