// The artifact CAS as a process: `node --import tsx apps/artifact-cas/src/main.ts [--config cas.json]`.
// Configuration: a JSON file (--config or CAIRN_CAS_CONFIG) plus CAIRN_CAS_* environment overrides (--help lists them).
// SIGTERM or SIGINT drains gracefully (see RunningArtifactCas.close); a second signal exits at once.
import { parseArgs } from 'node:util';
import { CairnError, Code } from '@cairn/errors';
import { MALLOC_TUNABLES_SETTING, mallocTunablesMissing } from '@cairn/malloc-tunables';
import { createLogger } from '@cairn/observability';
import { environmentHelp, logProcessWarnings } from '@cairn/service-runtime';
import { CAS_NODE_FLAGS, casNodeFlagsMissing } from './app/node-flags.js';
import { startArtifactCas } from './app/start.js';
import { CAS_CONFIG, CAS_CONFIG_DEFAULTS } from './config/config.js';
import { loadCasConfig } from './config/load-config.js';

const bootLogger = createLogger({ fields: { service: 'artifact-cas' } });

const { grpc, http } = CAS_CONFIG_DEFAULTS;
const USAGE = `Usage: artifact-cas [--config cas.json]

Runs the artifact CAS (gRPC ${grpc.host}:${grpc.port}, HTTP ${http.host}:${http.port} unless configured) until
SIGINT/SIGTERM, which let streams in flight finish. Settings come from the JSON config file, then from:

${environmentHelp(CAS_CONFIG, 30)}
`;

/** The command line: `--config` and `--help`; anything else is refused rather than ignored. */
function argumentsFrom(argv: readonly string[]): { config?: string; help: boolean } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    return { ...(values.config === undefined ? {} : { config: values.config }), help: values.help ?? false };
  } catch (error) {
    throw new CairnError(
      Code.InvalidArgument,
      `${(error as Error).message}; the CAS takes only --config FILE (and --help), settings go in that file or CAIRN_CAS_* variables`,
    );
  }
}

async function main(): Promise<void> {
  const args = argumentsFrom(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  logProcessWarnings(bootLogger);
  const config = await loadCasConfig({ file: args.config });
  const missing = mallocTunablesMissing();
  if (missing.length > 0) {
    bootLogger.warn(
      'started without the malloc settings the CAS is tuned for; it will spend more CPU per GiB',
      {
        missing,
        fix: `start it with GLIBC_TUNABLES=${MALLOC_TUNABLES_SETTING} (npm start and the image do)`,
      },
    );
  }
  const missingFlags = casNodeFlagsMissing();
  if (missingFlags.length > 0) {
    bootLogger.warn('started without the V8 flags the CAS is tuned for; uploads may spend more CPU per GiB', {
      missing: missingFlags,
      fix: `start it as node ${CAS_NODE_FLAGS.join(' ')} --import tsx main.ts (npm start and the image do)`,
    });
  }
  const cas = await startArtifactCas(config);
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      bootLogger.warn('second signal: exiting without waiting', { signal });
      process.exit(1);
    }
    bootLogger.info('stopping', { signal });
    cas.close().then(
      () => process.exit(0),
      (error: unknown) => {
        bootLogger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by a supervisor with an IPC channel (scripts/start.ts): if it dies, stop as on SIGTERM.
  if (process.channel) {
    process.channel.unref();
    process.on('disconnect', () => stop('SIGTERM'));
  }
}

main().catch((error: unknown) => {
  const failure = CairnError.from(error);
  bootLogger.error('artifact CAS failed to start', { error: failure.message, cause: failure.cause });
  process.exitCode = 1;
});
