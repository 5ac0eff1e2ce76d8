import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { type ServerProcess, startNodeServer } from './process.js';

export interface LaunchedCas {
  readonly server: ServerProcess;
  readonly grpcAddress: string;
  readonly httpUrl: string;
}

/**
 * Writes `<dir>/cas.json` (free ports on 127.0.0.1 plus `config`) and starts the artifact CAS as its own
 * process (so its RSS is its own) with the node flags its launchers give it; resolves once `/readyz` answers.
 */
export async function launchCas(
  dir: string,
  config: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<LaunchedCas> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'cas.json');
  await writeFile(
    configFile,
    JSON.stringify({ grpc: { port: grpcPort }, http: { port: httpPort }, log: { level: 'warn' }, ...config }),
  );
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const server = await startNodeServer(
    'apps/artifact-cas/src/main.ts',
    ['--config', configFile],
    async () => {
      const response = await fetch(`${httpUrl}/readyz`, signal ? { signal } : {});
      await response.body?.cancel();
      return response.ok;
    },
    CAS_NODE_FLAGS,
  );
  return { server, grpcAddress: `127.0.0.1:${grpcPort}`, httpUrl };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
  });
}
