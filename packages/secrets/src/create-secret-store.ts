import { CairnError, Code } from '@cairn/errors';
import { createFileSecretStore, type FileSecretStoreOptions } from './file/file-secret-store.js';
import type { SecretStore } from './secret-store.js';
import type { VaultSecretStoreOptions } from './vault/vault-options.js';
import { createVaultSecretStore } from './vault/vault-secret-store.js';

/** Which secret store to use, as read from configuration. */
export type SecretStoreConfig =
  | ({ kind: 'file' } & FileSecretStoreOptions)
  | ({ kind: 'vault' } & VaultSecretStoreOptions);

/** Builds the configured store; INVALID_ARGUMENT for an unknown kind or unusable options. Does no I/O. */
export function createSecretStore(config: SecretStoreConfig): SecretStore {
  switch (config.kind) {
    case 'file':
      return createFileSecretStore(config);
    case 'vault':
      return createVaultSecretStore(config);
    default:
      throw new CairnError(
        Code.InvalidArgument,
        `unknown secret store kind ${JSON.stringify((config as { kind: unknown }).kind)}; use "file" or "vault"`,
      );
  }
}
