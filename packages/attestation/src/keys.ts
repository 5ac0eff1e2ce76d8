import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateNodeKeyPair,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { CairnError, Code } from '@cairn/errors';

/** The signature algorithms Cairn signs and verifies attestations with. */
export type KeyAlgorithm = 'ecdsa-p256' | 'ed25519';

/** The environment variable the CLI reads a signing key's passphrase from; named in refusals by default. */
export const DEFAULT_PASSPHRASE_VARIABLE = 'CAIRN_SIGNING_KEY_PASSPHRASE';

/** A public key that verifies attestations, with the hint that names it in a bundle. */
export interface PublicKey {
  readonly algorithm: KeyAlgorithm;
  readonly key: KeyObject;
  /** The key as SPKI PEM. */
  readonly pem: string;
  /** `keyHint(key)`: lower-case hex sha256 of the SPKI DER. */
  readonly hint: string;
  /** How messages name the key, e.g. its file name. */
  readonly name: string;
}

/** A private key that signs attestations. Never log it. */
export interface SigningKey {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: PublicKey;
}

export interface GeneratedKeyPair {
  readonly algorithm: KeyAlgorithm;
  /** PKCS#8 PEM; encrypted (AES-256-CBC, PBES2) when a passphrase was given. A secret: store it 0600. */
  readonly privateKeyPem: string;
  /** SPKI PEM. */
  readonly publicKeyPem: string;
  readonly hint: string;
}

const generate = promisify(generateNodeKeyPair);

/** Makes a key pair for signing attestations: ECDSA P-256 unless `algorithm` says Ed25519. */
export async function generateKeyPair(
  options: { algorithm?: KeyAlgorithm; passphrase?: string } = {},
): Promise<GeneratedKeyPair> {
  const algorithm = options.algorithm ?? 'ecdsa-p256';
  const pair =
    algorithm === 'ecdsa-p256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('ed25519', undefined);
  const encryption =
    options.passphrase === undefined || options.passphrase === ''
      ? {}
      : { cipher: 'aes-256-cbc', passphrase: options.passphrase };
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem', ...encryption }).toString();
  const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { algorithm, privateKeyPem, publicKeyPem, hint: keyHint(pair.publicKey) };
}

export interface LoadPrivateKeyOptions {
  /** The passphrase of an encrypted PEM; an empty string counts as none. */
  readonly passphrase?: string;
  /** Where the caller takes the passphrase from, named when it is missing or wrong. */
  readonly passphraseVariable?: string;
  /** How messages name the key, e.g. its file name. */
  readonly name?: string;
}

/**
 * Reads a private key PEM (PKCS#8 or SEC1, plain or encrypted) that is ECDSA P-256 or Ed25519. Refuses
 * with INVALID_ARGUMENT: an encrypted key without its passphrase (naming `passphraseVariable`), a wrong
 * passphrase, a public key, and any other key type. No message carries the passphrase or key material.
 */
export function loadPrivateKey(pem: string | Uint8Array, options: LoadPrivateKeyOptions = {}): SigningKey {
  const name = options.name ?? 'the signing key';
  const variable = options.passphraseVariable ?? DEFAULT_PASSPHRASE_VARIABLE;
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const label = pemLabel(text);
  if (label === undefined) throw keyError(`${name} is not a PEM private key`, 'not_a_private_key');
  if (label.includes('PUBLIC KEY') || label === 'CERTIFICATE') {
    throw keyError(`${name} holds a public key; signing needs the private key`, 'not_a_private_key');
  }
  const passphrase = options.passphrase === '' ? undefined : options.passphrase;
  // Checked before OpenSSL sees the key: without a passphrase it would fail with a generic error, and
  // must never be left to ask a terminal for one.
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(text);
  if (encrypted && passphrase === undefined) {
    throw keyError(`${name} is encrypted: set ${variable} to its passphrase`, 'passphrase_required');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(
      passphrase === undefined ? { key: text, format: 'pem' } : { key: text, format: 'pem', passphrase },
    );
  } catch (error) {
    // The cause stays out of the error: OpenSSL's messages may quote the key.
    const code = (error as { code?: unknown }).code;
    if (
      encrypted &&
      (code === 'ERR_OSSL_BAD_DECRYPT' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED')
    ) {
      throw keyError(
        `${name} could not be decrypted: the passphrase in ${variable} is not its passphrase`,
        'wrong_passphrase',
      );
    }
    throw keyError(`${name} is not a readable PEM private key`, 'not_a_private_key');
  }
  const algorithm = algorithmOf(privateKey, name);
  return {
    algorithm,
    privateKey,
    publicKey: toPublicKey(createPublicKey(privateKey), algorithm, `the public half of ${name}`),
  };
}

/** Reads an SPKI public key PEM that is ECDSA P-256 or Ed25519; INVALID_ARGUMENT otherwise. */
export function loadPublicKey(pem: string | Uint8Array, options: { name?: string } = {}): PublicKey {
  const name = options.name ?? 'the public key';
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const label = pemLabel(text);
  if (label?.includes('PRIVATE KEY')) {
    throw keyError(
      `${name} holds a private key; verify with its public key (keep the private key out of verification)`,
      'not_a_public_key',
    );
  }
  if (label !== 'PUBLIC KEY') throw keyError(`${name} is not a PEM public key (SPKI)`, 'not_a_public_key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw keyError(`${name} is not a readable PEM public key`, 'not_a_public_key');
  }
  return toPublicKey(key, algorithmOf(key, name), name);
}

/** The hint that names a public key in a bundle: lower-case hex sha256 of its SPKI DER encoding. */
export function keyHint(key: KeyObject | PublicKey): string {
  const object = 'hint' in key ? key.key : key;
  return createHash('sha256')
    .update(object.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function toPublicKey(key: KeyObject, algorithm: KeyAlgorithm, name: string): PublicKey {
  return {
    algorithm,
    key,
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    hint: keyHint(key),
    name,
  };
}

function algorithmOf(key: KeyObject, name: string): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ecdsa-p256';
  const type =
    key.asymmetricKeyType === 'ec'
      ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'another curve'}`
      : (OTHER_KEY_TYPES[key.asymmetricKeyType ?? ''] ?? `a ${key.asymmetricKeyType ?? 'symmetric'} key`);
  throw keyError(
    `${name} is ${type}; Cairn signs attestations with ECDSA P-256 or Ed25519 keys ('cairn keys generate' makes one)`,
    'unsupported_key_type',
  );
}

const OTHER_KEY_TYPES: Record<string, string> = {
  rsa: 'an RSA key',
  'rsa-pss': 'an RSA-PSS key',
  dsa: 'a DSA key',
  dh: 'a Diffie-Hellman key',
  ed448: 'an Ed448 key',
  x25519: 'an X25519 key (for key agreement, not signing)',
  x448: 'an X448 key (for key agreement, not signing)',
};

function pemLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

function keyError(message: string, reason: string): CairnError {
  return new CairnError(Code.InvalidArgument, message, { details: { reason } });
}
