// @cairn/attestation: material kinds and their checks, the in-toto statement of a run, keys, signing as a
// Sigstore bundle v0.3 (DSSE) and verification. A pure library: no network, no files, no CAS.

export { BUNDLE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './bundle-format.js';
export * from './evidence.js';
export {
  DEFAULT_PASSPHRASE_VARIABLE,
  type GeneratedKeyPair,
  generateKeyPair,
  type KeyAlgorithm,
  keyHint,
  type LoadPrivateKeyOptions,
  loadPrivateKey,
  loadPublicKey,
  type PublicKey,
  type SigningKey,
} from './keys.js';
export { type SignedBundle, signStatement } from './sign.js';
export { type VerifyOptions, verifyBundle } from './verify.js';
