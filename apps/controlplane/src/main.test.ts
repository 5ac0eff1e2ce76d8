import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokens } from './biz/index.js';
import { DataStore } from './data/index.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Runs `controlplane ...args` as an operator would, on the test's PGlite database. */
function controlplane(args: string[], configFile: string) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args, '--config', configFile],
      { env, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('controlplane bootstrap', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-cp-main-'));
    configFile = join(dir, 'controlplane.json');
    await writeFile(configFile, JSON.stringify({ stateDir: '.', database: { pgliteDir: 'db' } }));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints a new admin token on each --admin run, and the first token of a new --org once', async () => {
    const first = await controlplane(['bootstrap', '--admin'], configFile);
    expect(first.stderr).toContain('cairn org create NAME');
    expect(first.code).toBe(0);
    const second = await controlplane(['bootstrap', '--admin', '--token-name', 'night-shift'], configFile);
    expect(second.code).toBe(0);
    const [one, two] = [first.stdout.trim(), second.stdout.trim()];
    expect(one).toMatch(/^cairn_[\w-]{43}$/);
    expect(two).toMatch(/^cairn_[\w-]{43}$/);
    expect(two).not.toBe(one);

    const org = await controlplane(['bootstrap', '--org', 'acme'], configFile);
    expect(org.code).toBe(0);
    const again = await controlplane(['bootstrap', '--org', 'acme'], configFile);
    expect(again).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'organisation "acme" exists already; create further tokens with `cairn token create` (an admin token adds `--org acme`)\n',
    });
    const neither = await controlplane(['bootstrap'], configFile);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/^controlplane: bootstrap needs either --admin or --org NAME/);

    const store = await DataStore.open({ kind: 'pglite', dataDir: join(dir, 'db') });
    try {
      const tokens = new ApiTokens(store);
      expect(await tokens.authenticate(one)).toMatchObject({ kind: 'admin', orgId: null });
      expect((await tokens.list(null)).map((token) => token.name)).toEqual([
        'bootstrap-admin',
        'night-shift',
      ]);
      expect(await tokens.authenticate(org.stdout.trim())).toMatchObject({ kind: 'user' });
    } finally {
      await store.close();
    }
  });
});
