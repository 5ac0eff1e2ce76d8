// `npm start`: Cairn on its embedded defaults, with no outside service. On first run it creates `.cairn/`
// in the current folder (see scripts/embedded/layout.ts), then runs the services as child processes,
// prints where they listen, and stops them gracefully on Ctrl-C or SIGTERM. State survives restarts.
// The services' logs go to .cairn/logs/; they are shown too when stdout is not a terminal (a service
// manager collects them) or with `npm start -- --logs`. One `npm start` per folder: a second one is
// refused at once, naming the first (scripts/embedded/instance-lock.ts).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { CairnError } from '@cairn/errors';
import { withMallocTunables } from '@cairn/malloc-tunables';
import { ensureEmbeddedHome } from './embedded/bootstrap.js';
import { lockEmbeddedHome } from './embedded/instance-lock.js';
import { EmbeddedLayout } from './embedded/layout.js';
import { superviseChildren, waitUntilReady } from './embedded/supervisor.js';

const casEntry = fileURLToPath(new URL('../apps/artifact-cas/src/main.ts', import.meta.url));
const controlPlaneEntry = fileURLToPath(new URL('../apps/controlplane/src/main.ts', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { logs: { type: 'boolean' } } });
  const startedAt = Date.now();
  // Before anything in .cairn/ is created, read or migrated, and before any port is bound.
  const lock = await lockEmbeddedHome(new EmbeddedLayout(process.cwd()), {
    onWait: (line) => process.stderr.write(`${line}\n`),
  });
  const home = await ensureEmbeddedHome(process.cwd());
  await lock.describe({
    controlPlane: { grpc: home.controlPlane.grpcAddress, http: home.controlPlane.httpUrl },
    cas: { grpc: home.grpcAddress, http: home.httpUrl },
  });
  const logDirectory = join(home.layout.home, 'logs');
  await mkdir(logDirectory, { recursive: true, mode: 0o700 });
  const echo = values.logs === true || process.stdout.isTTY !== true;
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
    { directory: logDirectory, echo },
    (name, code) => {
      if (code !== 0) {
        const where = echo ? '' : `; its log: ${join(logDirectory, `${name}.log`)}`;
        process.stderr.write(`cairn: ${name} exited with code ${code}${where}\n`);
      }
    },
    // The services hold the lock too: if this script is killed with -9, the folder stays taken until they
    // have noticed and stopped, so a new start never meets them on its ports or its database.
    { sharedFds: [lock.fd] },
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
  // Only informs a second start (whom to stop if this script dies alone); the services run either way.
  await lock
    .describe({
      services: Object.fromEntries(
        [...supervisor.children].flatMap(([name, child]) =>
          child.pid === undefined ? [] : [[name, child.pid]],
        ),
      ),
    })
    .catch(() => undefined);

  if (
    (await waitUntilReady(`${home.controlPlane.httpUrl}/readyz`, supervisor.exited)) &&
    (await waitUntilReady(`${home.httpUrl}/readyz`, supervisor.exited))
  ) {
    process.stdout.write(
      [
        '',
        `Cairn is running on its embedded defaults (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s).`,
        `  control plane gRPC ${home.controlPlane.grpcAddress}   HTTP ${home.controlPlane.httpUrl}`,
        `  artifact CAS  gRPC ${home.grpcAddress}   HTTP ${home.httpUrl}`,
        `  state         ${home.layout.home}`,
        `  logs          ${logDirectory}${echo ? '' : ' (npm start -- --logs shows them here)'}`,
        `  CLI settings  ${home.layout.cliConfigFile}`,
        '',
        'Try, from this folder:',
        '  export PATH="$PWD/node_modules/.bin:$PATH"',
        '  cairn artifact upload -f <file>',
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
    const message = error instanceof Error ? error.message : String(error);
    // Another start holds the folder: its own one line, without "could not start" before it.
    const running = error instanceof CairnError && error.details.reason === 'already_running';
    process.stderr.write(`cairn: ${running ? '' : 'could not start: '}${message}\n`);
    process.exit(1);
  },
);
