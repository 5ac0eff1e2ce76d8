import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { abortError, CairnError, Code, isAbortOf } from '@cairn/errors';
import { SECRET_STORE_ABORT_WORDING } from '../secret-store.js';
import { createFileExclusively } from './atomic-file.js';

export const FILE_STORE_KEY_BYTES = 32;

/** An AES-256 key with its fingerprint, which tells "wrong key" apart from "tampered file". */
export interface FileStoreKey {
  readonly secret: Buffer;
  /** First 8 bytes of HMAC-SHA256(key, label): identifies the key without revealing anything about it. */
  readonly id: Buffer;
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/;
const KEY_FORMAT = `${FILE_STORE_KEY_BYTES} random bytes written as 64 hex characters or as base64 (e.g. the output of \`openssl rand -base64 32\`)`;

/**
 * Reads a file-store key: 32 raw bytes, or text holding them as 64 hex characters or base64 (standard or
 * URL alphabet, padding optional; surrounding whitespace ignored). INVALID_ARGUMENT otherwise; the message
 * never repeats the input.
 */
export function parseFileStoreKey(input: string | Uint8Array): FileStoreKey {
  const secret = decodeKey(input);
  if (secret === undefined) {
    throw new CairnError(Code.InvalidArgument, `the file secret store key must be ${KEY_FORMAT}`, {
      details: { reason: 'invalid_file_store_key' },
    });
  }
  const id = createHmac('sha256', secret).update('cairn file secret store key id v1').digest().subarray(0, 8);
  return { secret, id };
}

/**
 * Returns the key kept in `path`, creating it first if the file does not exist: 32 random bytes as base64,
 * mode 0600, parent directories 0700. Meant for the embedded default (e.g. `.cairn/secret-store.key`).
 * Safe when several processes start at once: the file appears complete or not at all, and every
 * process ends up with the one key that was written. A file holding no valid key is FAILED_PRECONDITION.
 * Losing this file makes every secret written with it unreadable.
 */
export async function loadOrCreateFileStoreKey(path: string, signal?: AbortSignal): Promise<Buffer> {
  const activeSignal = signal ?? new AbortController().signal;
  try {
    const existing = await readKeyFile(path, activeSignal);
    if (existing !== undefined) return existing;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const fresh = randomBytes(FILE_STORE_KEY_BYTES);
    if (await createFileExclusively(path, Buffer.from(`${fresh.toString('base64')}\n`), activeSignal))
      return fresh;
    const winner = await readKeyFile(path, activeSignal);
    if (winner === undefined) throw new Error('the key file vanished right after another process created it');
    return winner;
  } catch (error) {
    if (isAbortOf(error, activeSignal)) throw abortError(activeSignal, SECRET_STORE_ABORT_WORDING);
    if (error instanceof CairnError) throw error;
    throw new CairnError(
      Code.FailedPrecondition,
      `cannot read or create the file secret store key ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); check that the directory is writable by this process`,
      { cause: error },
    );
  }
}

async function readKeyFile(path: string, signal: AbortSignal): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = decodeKey(text);
  if (secret === undefined) {
    throw new CairnError(
      Code.FailedPrecondition,
      `the key file ${path} does not hold ${KEY_FORMAT}; restore the original file, since secrets written with it cannot be read without it`,
      { details: { reason: 'invalid_file_store_key' } },
    );
  }
  return secret;
}

function decodeKey(input: string | Uint8Array): Buffer | undefined {
  if (typeof input !== 'string') {
    return input instanceof Uint8Array && input.length === FILE_STORE_KEY_BYTES
      ? Buffer.from(input)
      : undefined;
  }
  const text = input.trim();
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (BASE64_KEY.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    return bytes.length === FILE_STORE_KEY_BYTES ? bytes : undefined;
  }
  return undefined;
}
