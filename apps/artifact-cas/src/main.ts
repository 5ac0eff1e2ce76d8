// The artifact CAS as a process: `node --import tsx apps/artifact-cas/src/main.ts [--config cas.json]`.
// Configuration: a JSON file (--config or CAIRN_CAS_CONFIG) plus CAIRN_CAS_* environment overrides.
// SIGTERM or SIGINT drains gracefully (see RunningArtifactCas.close); a second signal exits at once.
import { CairnError } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { startArtifactCas } from './artifact-cas.js';
import { loadCasConfig } from './config/load-config.js';
import { MALLOC_TUNABLES_SETTING, mallocTunablesMissing } from './server/malloc-tunables.js';

const bootLogger = createLogger({ fields: { service: 'artifact-cas' } });

async function main(): Promise<void> {
  const config = await loadCasConfig({ argv: process.argv.slice(2) });
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
