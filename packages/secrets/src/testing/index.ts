export { caught, expectCode, type SecretStoreFixture, secretStoreContract } from './secret-store-contract.js';
export {
  startVaultKv2Double,
  type VaultKv2Double,
  type VaultKv2DoubleOptions,
  type VaultKv2Request,
} from './vault-kv2-double.js';
