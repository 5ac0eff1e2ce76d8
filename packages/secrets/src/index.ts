export {
  type SecretStoreSchemaOptions,
  type SecretStoreSettings,
  secretStoreSettingsSchema,
} from './config-settings.js';
export { createSecretStore, type SecretStoreConfig } from './create-secret-store.js';
export {
  createFileSecretStore,
  FileSecretStore,
  type FileSecretStoreOptions,
} from './file/file-secret-store.js';
export {
  FILE_STORE_KEY_BYTES,
  type FileStoreKey,
  loadOrCreateFileStoreKey,
  parseFileStoreKey,
} from './file/file-store-key.js';
export { type OpenSecretStoreOptions, openSecretStore } from './open-secret-store.js';
export { MAX_SECRET_REF_LENGTH, validateSecretRef } from './secret-ref.js';
export type { SecretStore, SecretValue } from './secret-store.js';
export { MAX_SECRET_FIELD_NAME_LENGTH, MAX_SECRET_VALUE_BYTES, validateSecretValue } from './secret-value.js';
export {
  DEFAULT_VAULT_REQUEST_TIMEOUT_MS,
  type VaultSecretStoreOptions,
} from './vault/vault-options.js';
export { createVaultSecretStore, VaultSecretStore } from './vault/vault-secret-store.js';
