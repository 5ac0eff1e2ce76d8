import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { createControlPlaneClient } from '@cairn/controlplane-client';
import { silentLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfig } from '../config/config.js';
import { type RunningControlPlane, startControlPlane } from './start.js';

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

  /** The CAS `npm start` runs beside the control plane, started after it as a slower process might be. */
  async function startCas(controlPlane: RunningControlPlane): Promise<RunningArtifactCas> {
    return startArtifactCas(
      {
        grpc: { port: 0 },
        http: { port: 0 },
        tokens: { jwksUrl: `${controlPlane.httpUrl}/.well-known/jwks.json` },
        backends: { filesystemRoots: [join(dir, 'blobs')] },
      },
      { logger: silentLogger },
    );
  }

  it('creates the first organisation with a filesystem default, a CLI token and an admin token, and keeps them across restarts', async () => {
    let casAddress = '';
    const first = await startControlPlane(config(), {
      logger: silentLogger,
      casGrpcAddress: () => casAddress,
    });
    const cas = await startCas(first);
    let token: string;
    let adminToken: string;
    try {
      expect((await fetch(`${first.httpUrl}/readyz`)).status).toBe(503);
      casAddress = cas.grpcAddress;
      await first.setup;
      expect((await fetch(`${first.httpUrl}/readyz`)).status).toBe(200);
      const cli = JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8'));
      expect(cli.cas).toEqual({ grpc: '127.0.0.1:9001' });
      expect(cli.controlplane).toMatchObject({ grpc: first.grpcAddress, organization: 'default' });
      token = cli.controlplane.apiToken;
      adminToken = cli.controlplane.adminToken;
      expect(adminToken).toMatch(/^cairn_[\w-]{43}$/);
      expect(adminToken).not.toBe(token);
      expect((await stat(join(dir, 'cli.json'))).mode & 0o777).toBe(0o600);
      const client = createControlPlaneClient({ address: first.grpcAddress, apiToken: token });
      const upload = await client.casToken('upload').finally(() => client.close());
      expect(upload.backend).toMatchObject({ name: 'local', provider: 'filesystem' });
      const admin = createControlPlaneClient({ address: first.grpcAddress, apiToken: adminToken });
      try {
        expect((await admin.listApiTokens()).map((listed) => listed.name)).toEqual(['embedded-admin']);
        expect((await admin.createOrganization('second')).organization?.name).toBe('second');
      } finally {
        admin.close();
      }
    } finally {
      await first.close();
      await cas.close();
    }

    const second = await startControlPlane(config(), { logger: silentLogger, casGrpcAddress: () => '' });
    try {
      await second.setup;
      const cli = JSON.parse(await readFile(join(dir, 'cli.json'), 'utf8'));
      expect(cli.controlplane.apiToken).toBe(token);
      expect(cli.controlplane.adminToken).toBe(adminToken);
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
