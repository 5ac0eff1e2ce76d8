import { readFile } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import { createSecretStore, loadOrCreateFileStoreKey, type SecretStore } from '@cairn/secrets';
import type { SecretsConfig } from '../config/config.js';

/**
 * Builds the configured secret store. Key material never sits in the config itself: the file store's key
 * is a file (created on first use), Vault's token a file or $CAIRN_SECRETS_VAULT_TOKEN.
 */
export async function openSecretStore(
  config: SecretsConfig,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<SecretStore> {
  if (config.kind === 'file') {
    const key = await loadOrCreateFileStoreKey(config.keyFile, signal);
    return createSecretStore({ kind: 'file', directory: config.directory, key });
  }
  const token = config.tokenFile
    ? await readConfigFile(config.tokenFile, 'the Vault token file', signal)
    : env.CAIRN_SECRETS_VAULT_TOKEN;
  if (!token?.trim()) {
    throw new CairnError(
      Code.InvalidArgument,
      'configuration: the Vault secret store needs a token: set secrets.tokenFile or $CAIRN_SECRETS_VAULT_TOKEN',
    );
  }
  const caCertificate = config.caCertificateFile
    ? await readConfigFile(config.caCertificateFile, 'the Vault CA certificate', signal)
    : undefined;
  return createSecretStore({
    kind: 'vault',
    endpoint: config.endpoint,
    token: token.trim(),
    mount: config.mount,
    prefix: config.prefix,
    namespace: config.namespace,
    requestTimeoutMs: config.requestTimeoutMs,
    caCertificate,
  });
}

async function readConfigFile(path: string, what: string, signal: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch (error) {
    throw CairnError.from(error, Code.FailedPrecondition, `cannot read ${what} ${path}`);
  }
}
