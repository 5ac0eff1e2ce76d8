import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { SecretValue } from '../secret-store.js';
import { secretValueFromStored } from '../secret-value.js';
import type { FileStoreKey } from './file-store-key.js';

// Layout of a secret file, version 1:
//   magic "CSF1" (4) | key id (8) | IV (12) | AES-256-GCM ciphertext of the JSON value | tag (16)
// The additional authenticated data is magic | key id | ref, so a file copied or renamed to another
// reference, or a header edited by hand, fails authentication.
const MAGIC = Buffer.from('CSF1', 'ascii');
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES + IV_BYTES;

/** Encrypts `value` for the file of `ref` with a fresh random IV. */
export function sealSecret(key: FileStoreKey, ref: string, value: SecretValue): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.secret, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(key.id, ref));
  const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  return Buffer.concat([MAGIC, key.id, iv, ciphertext, cipher.getAuthTag()]);
}

/**
 * Decrypts the file of `ref`. A file written with another key is FAILED_PRECONDITION (configure the key
 * it was written with); a file that fails authentication — tampered, truncated, or moved from another
 * reference — is DATA_LOSS. Neither message carries any of the file's content.
 */
export function openSecret(key: FileStoreKey, ref: string, sealed: Buffer): SecretValue {
  if (sealed.length < HEADER_BYTES + TAG_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw damaged(ref, 'is not a Cairn secret file or is truncated');
  }
  const keyId = sealed.subarray(MAGIC.length, MAGIC.length + KEY_ID_BYTES);
  if (!keyId.equals(key.id)) {
    throw new CairnError(
      Code.FailedPrecondition,
      `the secret file of ${JSON.stringify(ref)} was encrypted with a different key than the configured one; configure the key it was written with`,
      { details: { reason: 'wrong_secret_store_key', ref } },
    );
  }
  const iv = sealed.subarray(MAGIC.length + KEY_ID_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.secret, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(keyId, ref));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([
      decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw damaged(ref, 'failed its integrity check (tampered, corrupted, or moved from another reference)');
  }
  const value = parseValue(plaintext);
  plaintext.fill(0);
  if (value === undefined) throw damaged(ref, 'does not hold a flat object of strings');
  return value;
}

function parseValue(plaintext: Buffer): SecretValue | undefined {
  try {
    return secretValueFromStored(JSON.parse(plaintext.toString('utf8')));
  } catch {
    return undefined;
  }
}

function additionalData(keyId: Buffer, ref: string): Buffer {
  return Buffer.concat([MAGIC, keyId, Buffer.from(ref, 'utf8')]);
}

function damaged(ref: string, what: string): CairnError {
  return new CairnError(
    Code.DataLoss,
    `the secret file of ${JSON.stringify(ref)} ${what}; restore it from a backup or put the secret again`,
    { details: { reason: 'secret_file_damaged', ref } },
  );
}
