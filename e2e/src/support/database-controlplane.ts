import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConfig, type RunningControlPlane, startControlPlane } from '@cairn/controlplane';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { silentLogger } from '@cairn/observability';

/** A control plane in this process and a client of it, for the tests of a failing database. */
export interface DatabaseControlPlane {
  readonly controlPlane: RunningControlPlane;
  readonly client: ControlPlaneClient;
  close(): Promise<void>;
}

/**
 * Starts a control plane on the PostgreSQL at `url` (its `database` settings merged over the URL), with
 * state in `dir`, background validation off and an organisation bootstrapped; its client tries each call
 * once with `callDeadlineMs`, because these tests check what the control plane answers while its
 * database fails, which the client's own retries of safe calls would hide.
 */
export async function startDatabaseControlPlane(options: {
  readonly url: string;
  readonly dir: string;
  readonly database?: Record<string, number>;
  readonly callDeadlineMs: number;
}): Promise<DatabaseControlPlane> {
  const config = createConfig(
    {
      stateDir: '.',
      grpc: { host: '127.0.0.1', port: 0 },
      http: { host: '127.0.0.1', port: 0 },
      database: { url: options.url, ...options.database },
      validation: { tickMs: 3_600_000 },
      bootstrap: { organization: 'e2e', apiTokenFile: 'api-token' },
      shutdownGraceMs: 1_000,
    },
    {},
    options.dir,
  );
  const controlPlane = await startControlPlane(config, {
    logger: silentLogger,
    casGrpcAddress: () => '127.0.0.1:1',
  });
  const apiToken = (await readFile(join(options.dir, 'api-token'), 'utf8')).trim();
  const client = createControlPlaneClient({
    address: controlPlane.grpcAddress,
    apiToken,
    callTimeoutMs: options.callDeadlineMs,
    attempts: 1,
  });
  return {
    controlPlane,
    client,
    async close() {
      client.close();
      await controlPlane.close();
    },
  };
}
