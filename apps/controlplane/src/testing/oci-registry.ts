import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RegistryUser {
  readonly username: string;
  readonly password: string;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** Two accounts with random passwords, so credentials can be rotated from one to the other. */
  readonly users: readonly [RegistryUser, RegistryUser];
  stop(): Promise<void>;
}

// Every Cairn harness that installs packages takes this lock (see packages/backends' apt helper).
const APT_LOCK = join(tmpdir(), 'cairn-apt.lock');

/** A real OCI registry (Debian's distribution 2.8) with htpasswd basic auth, on 127.0.0.1, data in a temp dir. */
export async function startTestRegistry(): Promise<TestRegistry> {
  await ensureInstalled(['docker-registry', 'apache2-utils']);
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cp-registry-'));
  const users: [RegistryUser, RegistryUser] = [
    { username: 'alice', password: randomBytes(18).toString('base64url') },
    { username: 'robot', password: randomBytes(18).toString('base64url') },
  ];
  const lines = [];
  for (const user of users)
    lines.push((await run('htpasswd', ['-Bbn', user.username, user.password])).stdout.trim());
  await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`, { mode: 0o600 });
  let lastError: unknown;
  // A port found free may be taken before the registry binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const host = `127.0.0.1:${await freePort()}`;
    const config = [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'storage'))} }, delete: { enabled: true } }`,
      `http: { addr: ${JSON.stringify(host)}, secret: ${JSON.stringify(randomBytes(16).toString('hex'))} }`,
      `auth: { htpasswd: { realm: cairn, path: ${JSON.stringify(join(dir, 'htpasswd'))} } }`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'config.yml'), config);
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    try {
      await waitUntilAnswering(host, child);
      return {
        host,
        users,
        async stop() {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`docker-registry did not start: ${String(lastError)}`);
}

async function ensureInstalled(packages: readonly string[]): Promise<void> {
  const script = `missing=""; for p in "$@"; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600 && apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $missing`;
  await run('flock', ['--exclusive', '--timeout', '900', APT_LOCK, 'sh', '-c', script, 'sh', ...packages], {
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilAnswering(host: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 401 || response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('docker-registry did not answer within 20 s');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
