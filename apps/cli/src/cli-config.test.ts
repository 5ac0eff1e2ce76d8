import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCliConfig } from './cli-config.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cairn-cli-config-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeConfig(dir: string, contents: string): Promise<string> {
  const home = join(dir, '.cairn');
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'cli.json'), contents);
  return home;
}

describe('loadCliConfig', () => {
  it('finds .cairn/cli.json in a parent folder', async () => {
    const home = await writeConfig(root, JSON.stringify({ cas: { grpc: '127.0.0.1:9101' } }));
    const nested = join(root, 'a', 'b');
    await mkdir(nested, { recursive: true });
    expect(await loadCliConfig(nested, {})).toEqual({ home, config: { cas: { grpc: '127.0.0.1:9101' } } });
  });

  it('takes CAIRN_HOME over the folders around', async () => {
    await writeConfig(root, JSON.stringify({ cas: { grpc: 'near:1' } }));
    const elsewhere = await writeConfig(join(root, 'elsewhere'), JSON.stringify({ cas: { grpc: 'far:2' } }));
    const loaded = await loadCliConfig(root, { CAIRN_HOME: elsewhere });
    expect(loaded?.config.cas?.grpc).toBe('far:2');
  });

  it('says what to do when CAIRN_HOME holds no cli.json', async () => {
    await expect(loadCliConfig(root, { CAIRN_HOME: join(root, 'nothing') })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('or unset it'),
    });
  });

  it('refuses a broken file with a way to fix it', async () => {
    await writeConfig(root, '{ not json');
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      message: expect.stringContaining(
        'cli.json: the CLI config file is not valid JSON (near character 2); fix it or run `npm start` again',
      ),
    });
    await writeConfig(root, JSON.stringify({ dev: { signingKeyFile: 'k' } }));
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      message: expect.stringContaining(
        'cli.json: config key dev.issuer is required: a non-empty string; fix it or run `npm start` again',
      ),
    });
    await writeConfig(root, JSON.stringify({ controlplane: { grpc: '127.0.0.1:9000', apiToken: 5 } }));
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      message: expect.stringContaining(
        'cli.json: config key controlplane.apiToken must be a non-empty string;',
      ),
    });
  });

  it('checks with the services\' rules: null refused, "" only where it means something, unknown keys unused', async () => {
    const dev = {
      signingKeyFile: 'k',
      issuer: 'i',
      audience: 'a',
      org: 'o',
      backend: { id: 'b', provider: 'filesystem', location: '/blobs' },
      secret: '',
      maxBytes: 1024,
    };
    // A file a newer `npm start` wrote may hold keys this CLI does not know.
    await writeConfig(root, JSON.stringify({ dev, cas: { grpc: 'h:1', quic: 'h:2' }, telemetry: {} }));
    expect((await loadCliConfig(root, {}))?.config).toEqual({ dev, cas: { grpc: 'h:1' } });
    await writeConfig(root, JSON.stringify({ cas: { grpc: null } }));
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('config key cas.grpc must be a non-empty string, not null'),
    });
    await writeConfig(root, JSON.stringify({ controlplane: { apiToken: '' } }));
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      message: expect.stringContaining('config key controlplane.apiToken must be a non-empty string;'),
    });
    await writeConfig(root, JSON.stringify({ dev: { ...dev, maxBytes: -1 } }));
    await expect(loadCliConfig(root, {})).rejects.toMatchObject({
      message: expect.stringContaining('config key dev.maxBytes must be a whole number of bytes;'),
    });
  });
});
