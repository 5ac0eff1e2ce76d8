import { createLogger } from '@cairn/observability';
import { openSecretStore } from '@cairn/secrets';
import { SigningKeySchedule, TokenIssuer } from '../biz/index.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { DataStore } from '../data/index.js';
import { secretStoreOptions } from './secret-store-options.js';
import { loadSigningKeys } from './signing-keys.js';

export interface KeyRotation {
  readonly kid: string;
  readonly activeFrom: Date;
  readonly retiring: readonly string[];
  readonly retireAt: Date;
}

/**
 * `controlplane keys rotate`: a new key on the schedule every control plane of the deployment reads —
 * published at once, signing after `leadMs`, the old keys verifying for a token lifetime and 30 s of clock
 * skew after the switch. Needs only the database and the secret store, so it works while no control plane
 * runs.
 */
export async function rotateSigningKeys(
  config: ControlPlaneConfig,
  leadMs: number,
  signal: AbortSignal,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<KeyRotation> {
  const store = await DataStore.open(config.database);
  try {
    const ring = await loadSigningKeys(config.tokens.signingKeyFile, config.tokens.previousKeyFiles, signal);
    const keys = new SigningKeySchedule({
      store,
      secrets: await openSecretStore(config.secrets, secretStoreOptions(environment, signal)),
      issuer: new TokenIssuer(ring, config.tokens),
      refreshMs: config.tokens.keyRefreshMs,
      logger: createLogger({ level: 'warn' }),
    });
    await keys.adopt(ring.active, signal);
    return await keys.rotate(
      { leadMs, overlapMs: (config.tokens.lifetimeSeconds + 30) * 1000 + config.tokens.keyRefreshMs },
      signal,
    );
  } finally {
    await store.close();
  }
}
