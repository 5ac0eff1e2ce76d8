import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { health, healthService } from '@cairn/api';
import { silentLogger } from '@cairn/observability';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createConfig } from '../config/config.js';
import { startControlPlane } from './start.js';

const ServingStatus = health.HealthCheckResponse_ServingStatus;

describe('control plane shutdown', () => {
  // The grace is far longer than the test may take: a drain that waited on the open Watch would time out.
  it('ends health watches with NOT_SERVING and stops without waiting out its grace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-cp-shutdown-'));
    try {
      const config = createConfig(
        { stateDir: '.', grpc: { port: 0 }, http: { port: 0 }, shutdownGraceMs: 600_000 },
        {},
        dir,
      );
      const cp = await startControlPlane(config, { logger: silentLogger, casGrpcAddress: () => '' });
      await cp.setup;
      const client = new Client(cp.grpcAddress, credentials.createInsecure());
      const statuses: health.HealthCheckResponse_ServingStatus[] = [];
      const watch = client.makeServerStreamRequest(
        healthService.watch.path,
        healthService.watch.requestSerialize,
        healthService.watch.responseDeserialize,
        create(health.HealthCheckRequestSchema, { service: '' }),
        new Metadata(),
      );
      const ended = new Promise<void>((resolve, reject) => {
        watch.on('data', (response: health.HealthCheckResponse) => statuses.push(response.status));
        watch.on('end', resolve);
        watch.on('error', reject);
      });
      await expect.poll(() => statuses).toEqual([ServingStatus.SERVING]);

      await cp.close();
      await ended;
      client.close();
      expect(statuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
