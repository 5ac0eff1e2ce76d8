import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Azurite's published development account; it exists in every Azurite and guards nothing. */
export const AZURITE_ACCOUNT = {
  accountName: 'devstoreaccount1',
  accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
} as const;

const bin = fileURLToPath(new URL('../../../../node_modules/.bin/azurite-blob', import.meta.url));

/** A real Azurite blob service on 127.0.0.1 (port picked by the OS), data in a temp dir. */
export async function startAzurite(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cas-azurite-'));
  const child = spawn(
    bin,
    [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--location',
      dir,
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit');
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`azurite-blob did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`azurite-blob exited:\n${output}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT.accountName}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
