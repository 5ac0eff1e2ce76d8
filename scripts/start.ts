// `npm start`: Cairn on its embedded defaults, with no outside service. On first run it creates `.cairn/`
// in the current folder (see scripts/embedded/layout.ts), then runs the services as child processes,
// prints where they listen, and stops them gracefully on Ctrl-C or SIGTERM. State survives restarts.
import { fileURLToPath } from 'node:url';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { withMallocTunables } from '@cairn/malloc-tunables';
import { ensureEmbeddedHome } from './embedded/bootstrap.js';
import { superviseChildren, waitUntilReady } from './embedded/supervisor.js';

const casEntry = fileURLToPath(new URL('../apps/artifact-cas/src/main.ts', import.meta.url));
const controlPlaneEntry = fileURLToPath(new URL('../apps/controlplane/src/main.ts', import.meta.url));

async function main(): Promise<number> {
  const home = await ensureEmbeddedHome(process.cwd());
  // Each service learns where the other listens, whatever ports the config files or environment chose.
  process.env.CAIRN_CAS_JWKS_URL ??= `${home.controlPlane.httpUrl}/.well-known/jwks.json`;
  process.env.CAIRN_CAS_GRPC_ADDRESS ??= home.grpcAddress;
  const supervisor = superviseChildren(
    [
      {
        name: 'controlplane',
        entry: controlPlaneEntry,
        args: ['serve', '--config', home.layout.controlPlaneConfigFile],
      },
      {
        name: 'artifact-cas',
        entry: casEntry,
        args: ['--config', home.layout.casConfigFile],
        // Read once by glibc at startup; about half the CAS's CPU per GiB (see malloc-tunables.ts).
        env: withMallocTunables(process.env),
        nodeFlags: CAS_NODE_FLAGS,
      },
    ],
    (name, code) => {
      if (code !== 0) process.stderr.write(`cairn: ${name} exited with code ${code}\n`);
    },
  );
  let signalled = 0;
  const forward = (signal: NodeJS.Signals) => {
    signalled += 1;
    // A second Ctrl-C does not wait for running uploads to finish.
    supervisor.stop(signalled > 1 ? 'SIGKILL' : 'SIGTERM');
    if (signalled === 1) process.stderr.write(`\ncairn: ${signal} received, stopping (again to force)\n`);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);

  if (
    (await waitUntilReady(`${home.controlPlane.httpUrl}/readyz`, supervisor.exited)) &&
    (await waitUntilReady(`${home.httpUrl}/readyz`, supervisor.exited))
  ) {
    process.stdout.write(
      [
        '',
        'Cairn is running on its embedded defaults.',
        `  control plane gRPC ${home.controlPlane.grpcAddress}   HTTP ${home.controlPlane.httpUrl}`,
        `  artifact CAS  gRPC ${home.grpcAddress}   HTTP ${home.httpUrl}`,
        `  state         ${home.layout.home}`,
        '',
        'Try, from this folder:  npx cairn artifact upload -f <file>',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  const code = await supervisor.exited;
  return signalled > 1 ? 130 : code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `cairn: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
