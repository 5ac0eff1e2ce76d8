import { readFile } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import type { SecretStoreSettings } from './config-settings.js';
import { createSecretStore } from './create-secret-store.js';
import { loadOrCreateFileStoreKey } from './file/file-store-key.js';
import type { SecretStore } from './secret-store.js';

export interface OpenSecretStoreOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The variable holding the Vault token when the settings name no `tokenFile`, e.g. CAIRN_CAS_VAULT_TOKEN. */
  readonly tokenVariable: string;
  /**
   * Whether the file store's key is created when its file is missing: by the service that writes secrets
   * (the control plane), never by one that only reads what another wrote (the CAS), which would then hold a
   * key that decrypts nothing.
   */
  readonly createKey: boolean;
  /** Names the service's configuration in refusals, e.g. `the CAS config`. */
  readonly configName: string;
  readonly signal: AbortSignal;
}

/**
 * The secret store a service's `secrets` section names (checked by secretStoreSettingsSchema, paths
 * resolved). Key material never sits in the config: the file store's key and Vault's token and CA are read
 * from files, or the token from the service's variable.
 */
export async function openSecretStore(
  settings: SecretStoreSettings,
  options: OpenSecretStoreOptions,
): Promise<SecretStore> {
  const { signal } = options;
  if (settings.kind === 'file') {
    const { directory, keyFile } = settings;
    if (directory === undefined || keyFile === undefined) {
      throw new CairnError(
        Code.InvalidArgument,
        `${options.configName}: config key secrets of kind file needs directory and keyFile`,
        { details: { reason: 'bad_config', key: 'secrets' } },
      );
    }
    const key = options.createKey
      ? await loadOrCreateFileStoreKey(keyFile, signal)
      : await readSecretFile(keyFile, 'secrets.keyFile', options);
    return createSecretStore({ kind: 'file', directory, key });
  }
  const token = settings.tokenFile
    ? await readSecretFile(settings.tokenFile, 'secrets.tokenFile', options)
    : options.env[options.tokenVariable];
  if (!token?.trim()) {
    throw new CairnError(
      Code.InvalidArgument,
      `${options.configName}: the Vault secret store needs a token: set secrets.tokenFile or $${options.tokenVariable}`,
      { details: { reason: 'bad_config', key: 'secrets.tokenFile' } },
    );
  }
  return createSecretStore({
    kind: 'vault',
    endpoint: settings.endpoint,
    token: token.trim(),
    mount: settings.mount,
    prefix: settings.prefix,
    namespace: settings.namespace,
    requestTimeoutMs: settings.requestTimeoutMs,
    caCertificate: settings.caCertificateFile
      ? await readSecretFile(settings.caCertificateFile, 'secrets.caCertificateFile', options)
      : undefined,
  });
}

async function readSecretFile(path: string, key: string, options: OpenSecretStoreOptions): Promise<string> {
  try {
    return await readFile(path, { encoding: 'utf8', signal: options.signal });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw CairnError.from(
      error,
      Code.FailedPrecondition,
      `cannot read ${key} ${path} (${code}); check ${options.configName}`,
    );
  }
}
