import { parseArgs } from 'node:util';
import { CairnError } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { openSecretStore } from '@cairn/secrets';
import { environmentHelp, logProcessWarnings } from '@cairn/service-runtime';
import { bootstrapAdmin, bootstrapOrganization } from './app/bootstrap.js';
import { rotateSigningKeys } from './app/rotate-keys.js';
import { secretStoreOptions } from './app/secret-store-options.js';
import { loadSigningKeys } from './app/signing-keys.js';
import { startControlPlane } from './app/start.js';
import { ControlPlaneCore, TokenIssuer } from './biz/index.js';
import { CONTROL_PLANE_CONFIG } from './config/config.js';
import { loadConfig } from './config/load-config.js';
import { DataStore, grpcCasBackendChecker, grpcCasResourceReader } from './data/index.js';

const USAGE = `Usage: controlplane [serve] [--config file.json]
       controlplane bootstrap --admin [--token-name NAME] [--config file.json]
       controlplane bootstrap --org NAME [--token-name NAME] [--config file.json]
       controlplane keys rotate [--lead SECONDS] [--config file.json]

serve              runs the control plane (gRPC 127.0.0.1:9000, HTTP 127.0.0.1:8000) until SIGINT/SIGTERM.
bootstrap --admin  creates an admin API token and prints it once; each run makes another. An admin token
                   belongs to no organisation: it creates them (\`cairn org create NAME\`) and their tokens
                   (\`cairn token create --org NAME\`). Whoever can run this holds the database already.
bootstrap --org    creates organisation NAME with a first API token and prints the token once; does nothing
                   if the organisation exists.
keys rotate        schedules a new signing key for every control plane of the deployment: published at
                   once, signing after --lead seconds (default 30; longer than tokens.keyRefreshMs), while
                   the old key keeps verifying for a token lifetime and 30 s of clock skew after the
                   switch. No restart, no token refused. Prints the schedule.
bootstrap and keys use the same database and secret store as serve.

Environment:
${environmentHelp(CONTROL_PLANE_CONFIG, 32)}
`;

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      org: { type: 'string' },
      admin: { type: 'boolean' },
      'token-name': { type: 'string' },
      lead: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  const config = await loadConfig(values.config === undefined ? {} : { file: values.config });
  if (command === 'bootstrap') {
    if (Boolean(values.admin) === (values.org !== undefined)) {
      process.stderr.write(`controlplane: bootstrap needs either --admin or --org NAME\n\n${USAGE}`);
      return 2;
    }
    return bootstrap(
      config,
      values.org === undefined ? { admin: true } : { org: values.org },
      values['token-name'],
    );
  }
  if (command === 'keys') {
    if (positionals[1] !== 'rotate') {
      process.stderr.write(`controlplane: keys takes one command, rotate\n\n${USAGE}`);
      return 2;
    }
    const lead = values.lead === undefined ? 30 : Number(values.lead);
    if (!Number.isSafeInteger(lead) || lead < 1) {
      process.stderr.write(`controlplane: --lead must be a whole number of seconds, not "${values.lead}"\n`);
      return 2;
    }
    return rotateKeys(config, lead * 1000);
  }
  if (command !== 'serve') {
    process.stderr.write(USAGE);
    return 2;
  }
  // Listen before starting: a signal during a slow first start (PGlite initdb) still ends in a clean stop.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // Run by `npm start`: stop too when the start script dies without passing a signal on.
    if (process.connected) process.once('disconnect', resolve);
  });
  logProcessWarnings(createLogger({ level: config.log.level, fields: { service: 'controlplane' } }));
  const running = await startControlPlane(config);
  await stopRequested;
  await running.close();
  // An open IPC channel would keep this process alive after the servers closed.
  if (process.connected) process.disconnect();
  return 0;
}

/** `controlplane keys rotate`: prints the schedule it wrote. */
async function rotateKeys(config: Awaited<ReturnType<typeof loadConfig>>, leadMs: number): Promise<number> {
  const rotation = await rotateSigningKeys(config, leadMs, AbortSignal.timeout(120_000));
  process.stdout.write(
    `${JSON.stringify({ signing: rotation.kid, from: rotation.activeFrom, retiring: rotation.retiring, until: rotation.retireAt })}\n`,
  );
  process.stderr.write(
    `key ${rotation.kid} is published now and signs from ${rotation.activeFrom.toISOString()}; ${rotation.retiring.join(', ') || 'no key'} verifies until ${rotation.retireAt.toISOString()}\n`,
  );
  return 0;
}

async function bootstrap(
  config: Awaited<ReturnType<typeof loadConfig>>,
  what: { admin: true } | { org: string },
  tokenName: string | undefined,
): Promise<number> {
  const signal = AbortSignal.timeout(120_000);
  const logger = createLogger({ level: 'warn' });
  const store = await DataStore.open(config.database);
  try {
    const core = new ControlPlaneCore({
      store,
      secrets: await openSecretStore(config.secrets, secretStoreOptions(process.env, signal)),
      issuer: new TokenIssuer(
        await loadSigningKeys(config.tokens.signingKeyFile, config.tokens.previousKeyFiles, signal),
        {
          ...config.tokens,
        },
      ),
      cas: grpcCasResourceReader(() => config.cas.grpcAddress),
      casChecks: grpcCasBackendChecker(() => config.cas.grpcAddress),
      logger,
    });
    if ('admin' in what) {
      process.stdout.write(`${await bootstrapAdmin(core, tokenName)}\n`);
      process.stderr.write(
        'created an admin token; the token above is shown only once. Create an organisation with `cairn org create NAME`\n',
      );
      return 0;
    }
    const result = await bootstrapOrganization(core, what.org, tokenName);
    if (!result.apiToken) {
      process.stderr.write(
        `organisation "${what.org}" exists already; create further tokens with \`cairn token create\` (an admin token adds \`--org ${what.org}\`)\n`,
      );
      return 1;
    }
    process.stdout.write(`${result.apiToken}\n`);
    process.stderr.write(
      `created organisation "${what.org}" (${result.org.id}); the token above is shown only once\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const failure = CairnError.from(error);
    const detail = failure.code === 13 && failure.cause instanceof Error ? ` (${failure.cause.message})` : '';
    process.stderr.write(`controlplane: ${failure.message}${detail}\n`);
    process.exitCode = 1;
  },
);
