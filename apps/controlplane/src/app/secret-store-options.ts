import type { OpenSecretStoreOptions } from '@cairn/secrets';

/**
 * How the control plane opens its secret store: it writes backend credentials, so it creates the file
 * store's key on first start; Vault's token comes from secrets.tokenFile or CAIRN_SECRETS_VAULT_TOKEN.
 */
export function secretStoreOptions(
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): OpenSecretStoreOptions {
  return {
    env,
    tokenVariable: 'CAIRN_SECRETS_VAULT_TOKEN',
    createKey: true,
    configName: 'the control plane config',
    signal,
  };
}
