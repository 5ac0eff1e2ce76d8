// `@cairn/backends/testing`: what tests of this package and of others use, never production code. The
// conformance suite has an entry of its own, `@cairn/backends/conformance`.
export { blobOf, chunksOf, freshRepository, never, randomBlob, readAll } from './fixtures.js';
export { AzuriteInspection } from './inspect/azurite.js';
export { flipStoredByte, listLeftovers, listStoredBlobs } from './inspect/filesystem.js';
export { RegistryStorage } from './inspect/registry.js';
export { SwiftInspection } from './inspect/swift.js';
export { MemoryDriver } from './memory-driver.js';
export { type ProxiedAnswer, type RegistryProxy, startRegistryProxy } from './oci/registry-proxy.js';
export { TokenRealm, type TokenRealmOptions, type TokenRequest } from './oci/token-realm.js';
export * from './servers/index.js';
