import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlaneClient } from '../client/controlplane-client.js';
import { createConfig } from '../config/config.js';
import { startControlPlane } from './control-plane.js';

describe('embedded default', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-embedded-'));
    await mkdir(join(dir, 'blobs'));
    await writeFile(join(dir, 'cli.json'), JSON.stringify({ cas: { grpc: '127.0.0.1:9001' } }));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const config = () =>
    createConfig(
      {
        stateDir: '.',
        grpc: { port: 0 },
        http: { port: 0 },
        validation: { tickMs: 3_600_000 },
        embedded: { organization: 'default', blobsDir: 'blobs', cliConfigFile: 'cli.json' },
      },
      {},
      dir,
    );

  it('creates the first organisation with a filesystem default and a CLI token, and keeps both across restarts', async () => {
    const first = await startControlPlane(config(), { logger: silentLogger });
    let token: string;
    try {
      const cli = JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8'));
      expect(cli.cas).toEqual({ grpc: '127.0.0.1:9001' });
      expect(cli.controlplane).toMatchObject({ grpc: first.grpcAddress, organization: 'default' });
      token = cli.controlplane.apiToken;
      expect((await stat(join(dir, 'cli.json'))).mode & 0o777).toBe(0o600);
      const client = createControlPlaneClient({ address: first.grpcAddress, apiToken: token });
      const upload = await client.casToken('upload').finally(() => client.close());
      expect(upload.backend).toMatchObject({ name: 'local', provider: 'filesystem' });
    } finally {
      await first.close();
    }

    const second = await startControlPlane(config(), { logger: silentLogger });
    try {
      const cli = JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8'));
      expect(cli.controlplane.apiToken).toBe(token);
      const client = createControlPlaneClient({ address: second.grpcAddress, apiToken: token });
      try {
        const local = await client.getBackend('local');
        expect(local).toMatchObject({ isDefault: true, location: join(dir, 'blobs') });
        const inline = await client.getBackend('inline');
        expect(inline).toMatchObject({ isDefault: false, inline: true });
      } finally {
        client.close();
      }
      expect(await second.core.organizations.findByName('default')).toBeDefined();
    } finally {
      await second.close();
    }
  });
});
