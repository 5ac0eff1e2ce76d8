import {
  type GeneratedKeyPair,
  generateKeyPair,
  type KeyAlgorithm,
  loadPrivateKey,
  loadPublicKey,
  type PublicKey,
  type SigningKey,
} from '../keys.js';

export interface TestKey {
  readonly pair: GeneratedKeyPair;
  readonly signing: SigningKey;
  readonly public: PublicKey;
}

/** A fresh key pair, loaded as the CLI would load `key.pem` and `pub.pem`. */
export async function testKey(algorithm: KeyAlgorithm): Promise<TestKey> {
  const pair = await generateKeyPair({ algorithm });
  return {
    pair,
    signing: loadPrivateKey(pair.privateKeyPem, { name: 'key.pem' }),
    public: loadPublicKey(pair.publicKeyPem, { name: 'pub.pem' }),
  };
}
