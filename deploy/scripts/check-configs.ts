// Checks the example configs of deploy/ with the services' own config loaders, given the environment
// compose.yml sets, and that the files that must agree do: ports (configs, Dockerfile, haproxy.cfg), the CAS's
// malloc settings (Dockerfile), the token issuer and audience, the JWKS URL, the Vault settings and the Vault
// policies' paths.
//   node --import tsx deploy/scripts/check-configs.ts        (from the repository root)
// It needs no Docker; it cannot tell whether the images build or the containers start.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCasConfig } from '@cairn/artifact-cas';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { loadConfig } from '@cairn/controlplane';
import { MALLOC_TUNABLES_SETTING } from '@cairn/malloc-tunables';

const deploy = join(dirname(fileURLToPath(import.meta.url)), '..');
const problems: string[] = [];
const expect = (ok: boolean, problem: string) => {
  if (!ok) problems.push(problem);
};

// The environment compose.yml gives the containers (the entrypoint turns DATABASE_URL_FILE into this URL).
const loaded = await Promise.all([
  loadConfig({
    file: join(deploy, 'config/controlplane.json'),
    env: { DATABASE_URL: 'postgres://cairn:example@postgres:5432/cairn', CAIRN_LOG_LEVEL: 'info' },
  }),
  loadCasConfig({
    env: { CAIRN_CAS_CONFIG: join(deploy, 'config/cas.json'), CAIRN_CAS_LOG_LEVEL: 'info' },
  }),
]).catch((error: unknown) => {
  process.stderr.write(
    `deploy configs: a loader refused them: ${String(error instanceof Error ? error.message : error)}\n`,
  );
  process.exit(1);
});
const [controlPlane, cas] = loaded;

for (const [name, host] of [
  ['controlplane grpc', controlPlane.grpc.host],
  ['controlplane http', controlPlane.http.host],
  ['cas grpc', cas.grpc.host],
  ['cas http', cas.http.host],
]) {
  expect(
    host === '0.0.0.0',
    `${name} binds ${host}: in a container only 0.0.0.0 is reachable from outside it`,
  );
}
const ports = {
  controlPlaneGrpc: controlPlane.grpc.port,
  controlPlaneHttp: controlPlane.http.port,
  casGrpc: cas.grpc.port,
  casHttp: cas.http.port,
};
expect(controlPlane.database.kind === 'postgres', 'the control plane does not use PostgreSQL');
expect(controlPlane.tokens.issuer === cas.tokens.issuer, 'the token issuers differ');
expect(controlPlane.tokens.audience === cas.tokens.audience, 'the token audiences differ');
expect(
  cas.tokens.jwksUrl === `http://controlplane:${ports.controlPlaneHttp}/.well-known/jwks.json`,
  `the CAS trusts ${String(cas.tokens.jwksUrl)}, not the control plane's JWKS`,
);
expect(controlPlane.cas.grpcAddress === `cas:${ports.casGrpc}`, 'cas.grpcAddress is not the CAS service');
expect(
  controlPlane.cas.publicGrpcAddress === `127.0.0.1:${ports.casGrpc}`,
  "cas.publicGrpcAddress is not the load balancer's CAS port on the host",
);
expect(
  controlPlane.tokens.signingKeyFile.startsWith('/var/lib/cairn/keys/'),
  'the signing key is not on the cairn-keys volume',
);

const cpSecrets = controlPlane.secrets;
const casSecrets: Readonly<Record<string, unknown>> = cas.secrets ?? {};
if (cpSecrets.kind !== 'vault' || casSecrets.kind !== 'vault') {
  problems.push('both services must use the Vault secret store');
} else {
  expect(cpSecrets.endpoint === casSecrets.endpoint, 'the Vault endpoints differ');
  const mount = cpSecrets.mount ?? 'secret';
  const prefix = cpSecrets.prefix ?? 'cairn';
  expect(mount === (casSecrets.mount ?? 'secret'), 'the Vault mounts differ');
  expect(prefix === (casSecrets.prefix ?? 'cairn'), 'the Vault prefixes differ');
  expect(
    cpSecrets.tokenFile === '/run/secrets/controlplane_vault_token',
    'control plane token file ≠ its secret',
  );
  expect(casSecrets.tokenFile === '/run/secrets/cas_vault_token', 'CAS token file ≠ its secret');
  for (const policy of ['cairn-controlplane.hcl', 'cairn-cas.hcl']) {
    const text = await readFile(join(deploy, 'vault/policies', policy), 'utf8');
    expect(
      text.includes(`"${mount}/data/${prefix}/*"`),
      `${policy} does not cover ${mount}/data/${prefix}/*`,
    );
  }
}

const dockerfile = await readFile(join(deploy, 'Dockerfile'), 'utf8');
const haproxy = await readFile(join(deploy, 'haproxy/haproxy.cfg'), 'utf8');
const compose = await readFile(join(deploy, 'compose.yml'), 'utf8');
const fileNames = new Map([
  [dockerfile, 'Dockerfile'],
  [haproxy, 'haproxy.cfg'],
  [compose, 'compose.yml'],
]);
const expectations: [string, string][] = [
  [dockerfile, `EXPOSE ${ports.controlPlaneGrpc} ${ports.controlPlaneHttp}`],
  [dockerfile, `http://127.0.0.1:${ports.controlPlaneHttp}/healthz`],
  [dockerfile, `EXPOSE ${ports.casGrpc} ${ports.casHttp}`],
  [dockerfile, `http://127.0.0.1:${ports.casHttp}/healthz`],
  [dockerfile, `GLIBC_TUNABLES=${MALLOC_TUNABLES_SETTING}`],
  [haproxy, `controlplane:${ports.controlPlaneGrpc} check port ${ports.controlPlaneHttp}`],
  [haproxy, `controlplane:${ports.controlPlaneHttp} check`],
  [haproxy, `cas:${ports.casGrpc} check port ${ports.casHttp}`],
  [haproxy, `cas:${ports.casHttp} check`],
  [haproxy, `bind :${ports.casGrpc}`],
  [compose, `127.0.0.1}:${ports.casGrpc}:${ports.casGrpc}`],
  [compose, `CAIRN_CAS_ADDRESS=lb:${ports.casGrpc}`],
];
for (const [text, needle] of expectations) {
  expect(text.includes(needle), `${fileNames.get(text)} lacks "${needle}"`);
}
const casLauncher = await readFile(join(deploy, 'docker/bin/cairn-cas'), 'utf8');
expect(
  casLauncher.includes(`exec node ${CAS_NODE_FLAGS.join(' ')} --import tsx`),
  `docker/bin/cairn-cas does not start node with ${CAS_NODE_FLAGS.join(' ')} (CAS_NODE_FLAGS)`,
);

if (problems.length > 0) {
  process.stderr.write(`deploy configs: ${problems.length} problem(s)\n${problems.join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(
    `deploy configs: both loaders accept them; ports ${Object.values(ports).join('/')}, issuer ` +
      `${cas.tokens.issuer}, JWKS ${cas.tokens.jwksUrl}, Vault ${cpSecrets.kind === 'vault' ? cpSecrets.endpoint : ''}\n`,
  );
}
