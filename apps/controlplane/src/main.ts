import { parseArgs } from 'node:util';
import { CairnError } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { bootstrapOrganization } from './app/bootstrap.js';
import { startControlPlane } from './app/control-plane.js';
import { openSecretStore } from './app/open-secrets.js';
import { loadSigningKeys } from './app/signing-keys.js';
import { ControlPlaneCore, TokenIssuer } from './biz/index.js';
import { CONTROL_PLANE_ENVIRONMENT } from './config/config.js';
import { loadConfig } from './config/load-config.js';
import { DataStore } from './data/index.js';
import { grpcCasResourceReader } from './server/cas-resource-reader.js';

const USAGE = `Usage: controlplane [serve] [--config file.json]
       controlplane bootstrap --org NAME [--token-name NAME] [--config file.json]

serve       runs the control plane (gRPC 127.0.0.1:9000, HTTP 127.0.0.1:8000) until SIGINT/SIGTERM.
bootstrap   creates organisation NAME with a first API token and prints the token once; does nothing if
            the organisation exists. Uses the same database and secret store as serve.

Environment:
${Object.entries(CONTROL_PLANE_ENVIRONMENT)
  .map(([name, what]) => `  ${name.padEnd(32)} ${what}`)
  .join('\n')}
`;

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      org: { type: 'string' },
      'token-name': { type: 'string' },
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
    if (!values.org) throw new Error('bootstrap needs --org NAME');
    return bootstrap(config, values.org, values['token-name'] ?? 'bootstrap');
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
  const running = await startControlPlane(config);
  await stopRequested;
  await running.close();
  // An open IPC channel would keep this process alive after the servers closed.
  if (process.connected) process.disconnect();
  return 0;
}

async function bootstrap(
  config: Awaited<ReturnType<typeof loadConfig>>,
  org: string,
  tokenName: string,
): Promise<number> {
  const signal = AbortSignal.timeout(120_000);
  const logger = createLogger({ level: 'warn' });
  const store = await DataStore.open(config.database);
  try {
    const core = new ControlPlaneCore({
      store,
      secrets: await openSecretStore(config.secrets, process.env, signal),
      issuer: new TokenIssuer(
        await loadSigningKeys(config.tokens.signingKeyFile, config.tokens.previousKeyFiles, signal),
        {
          ...config.tokens,
        },
      ),
      cas: grpcCasResourceReader(() => config.cas.grpcAddress),
      logger,
    });
    const result = await bootstrapOrganization(core, org, tokenName);
    if (!result.apiToken) {
      process.stderr.write(
        `organisation "${org}" exists already; create further tokens with APITokenService.Create\n`,
      );
      return 1;
    }
    process.stdout.write(`${result.apiToken}\n`);
    process.stderr.write(
      `created organisation "${org}" (${result.org.id}); the token above is shown only once\n`,
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
