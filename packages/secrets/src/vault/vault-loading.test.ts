import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code` as an ES module in a fresh node (with tsx) from this package; returns what it printed. */
async function inFreshProcess(code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: packageRoot,
  });
  return stdout.trim();
}

describe('loading node-vault', () => {
  it('waits for the first call of a Vault store, so a process without Vault never holds it', async () => {
    const printed = await inFreshProcess(`
      const { createRequire } = await import('node:module');
      const secrets = await import('./src/index.ts');
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((path) => path.includes('/node-vault/'));
      const store = secrets.createSecretStore({ kind: 'vault', endpoint: 'http://127.0.0.1:9', token: 't', requestTimeoutMs: 2000 });
      const before = loaded();
      await store.get('some/ref', new AbortController().signal).catch(() => undefined);
      store.close();
      console.log(JSON.stringify({ before, after: loaded() }));
    `);
    expect(JSON.parse(printed)).toEqual({ before: false, after: true });
  });
});
