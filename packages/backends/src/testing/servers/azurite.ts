import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type LoggedProcess, spawnLogged, tailOf, waitUntil, withLogTails } from './logged-process.js';
import type { RunningServer } from './server.js';

/** Azurite's blob service with its well-known development account. */
export interface AzuriteInfo {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly endpoint: string;
  readonly accountName: string;
  readonly accountKey: string;
}

// Azurite's published development account; it exists in every Azurite and guards nothing.
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Starts `azurite-blob` from the repository's node_modules on a port the OS picks (read back from its
 * startup line, so no port can be taken in between), with data in a temp dir.
 */
export async function startAzurite(): Promise<RunningServer<AzuriteInfo>> {
  const bin = await findBin('azurite-blob');
  const dir = await mkdtemp(join(tmpdir(), 'cairn-azurite-'));
  const logPath = join(dir, 'azurite.log');
  let azurite: LoggedProcess | undefined;
  const stop = async () => {
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', dir];
    azurite = await spawnLogged(
      'azurite-blob',
      bin,
      [...args, '--silent', '--disableTelemetry', '--skipApiVersionCheck'],
      logPath,
    );
    const started = azurite;
    let port: number | undefined;
    await waitUntil(
      'azurite-blob to listen',
      async () => {
        port = listeningPort(await tailOf(logPath, 20));
        return port !== undefined;
      },
      [started],
      30_000,
    );
    const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
    await waitUntil('azurite-blob to answer HTTP', () => answers(endpoint), [started], 30_000);
    return { info: { endpoint, accountName: DEV_ACCOUNT, accountKey: DEV_KEY }, stop };
  } catch (error) {
    const reported = await withLogTails(error, azurite ? [azurite] : []);
    await stop();
    throw reported;
  }
}

function listeningPort(log: string): number | undefined {
  const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

async function answers(endpoint: string): Promise<boolean> {
  // Any HTTP answer will do (an unsigned request is refused): the service is up.
  const response = await fetch(`${endpoint}?comp=list`, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status > 0;
}

/** `node_modules/.bin/<name>` in this package or the nearest ancestor that has it. */
async function findBin(name: string): Promise<string> {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    try {
      await access(candidate);
      return candidate;
    } catch {
      if (dirname(dir) === dir)
        throw new Error(`${name} is not installed; run npm install at the repository root`);
    }
  }
}
