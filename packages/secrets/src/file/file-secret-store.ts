import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { abortError, CairnError, Code, isAbortOf, throwIfAborted } from '@cairn/errors';
import { validateSecretRef } from '../secret-ref.js';
import {
  SECRET_STORE_ABORT_WORDING,
  type SecretStore,
  type SecretValue,
  secretAlreadyExists,
} from '../secret-store.js';
import { MAX_SECRET_VALUE_BYTES, validateSecretValue } from '../secret-value.js';
import { createFileExclusively, replaceFile, syncDirectory } from './atomic-file.js';
import { type FileStoreKey, parseFileStoreKey } from './file-store-key.js';
import { fileSystemError } from './file-system-error.js';
import { openSecret, sealSecret } from './secret-file-cipher.js';

export interface FileSecretStoreOptions {
  /** Directory holding one encrypted file per reference; created with mode 0700 on the first write. */
  directory: string;
  /** 32 bytes, or text holding them as 64 hex characters or base64 (see `parseFileStoreKey`). */
  key: string | Uint8Array;
}

/** Comfortably above the largest file a valid secret produces (JSON escaping at most doubles it). */
const MAX_FILE_BYTES = 4 * MAX_SECRET_VALUE_BYTES;
const FILE_SUFFIX = '.secret';

/**
 * Secrets as files `<ref with '/' as '~'>.secret` in one directory (0700), each 0600 and encrypted with
 * AES-256-GCM under the configured key (see `sealSecret` for the format). Writes are atomic and durable.
 * A file encrypted with another key is FAILED_PRECONDITION, a damaged or moved file DATA_LOSS.
 * On a case-insensitive file system, references differing only in case share a file; reading the other
 * one then fails authentication instead of returning the wrong secret.
 */
export class FileSecretStore implements SecretStore {
  readonly #directory: string;
  readonly #key: FileStoreKey;
  /**
   * Whether this store has found its directory once. Before that, a missing directory is a new store
   * with nothing in it yet; after, it is a directory that went away (an unmounted volume), and a secret
   * that is not found there may well exist.
   */
  #directorySeen = false;

  constructor(options: FileSecretStoreOptions) {
    if (typeof options.directory !== 'string' || options.directory === '') {
      throw new CairnError(Code.InvalidArgument, 'the file secret store needs a directory');
    }
    this.#directory = resolve(options.directory);
    this.#key = parseFileStoreKey(options.key);
  }

  async put(ref: string, value: SecretValue, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const sealed = sealSecret(this.#key, ref, validateSecretValue(value));
    const created = await this.#run('write', signal, async () => {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      this.#directorySeen = true;
      return createFileExclusively(this.#pathOf(ref), sealed, signal);
    });
    if (!created) {
      throw secretAlreadyExists(ref);
    }
  }

  async get(ref: string, signal: AbortSignal): Promise<SecretValue> {
    validateSecretRef(ref);
    const sealed = await this.#run('read', signal, () => this.#readFile(ref, signal));
    if (sealed === undefined) {
      await this.#run('read', signal, () => this.#expectDirectory());
      throw notFound(ref);
    }
    this.#directorySeen = true;
    return openSecret(this.#key, ref, sealed);
  }

  async rotate(ref: string, value: SecretValue, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const sealed = sealSecret(this.#key, ref, validateSecretValue(value));
    const path = this.#pathOf(ref);
    const existed = await this.#run('write', signal, async () => {
      if (!(await exists(path))) return false;
      await replaceFile(path, sealed, signal);
      return true;
    });
    if (!existed) throw notFound(ref);
  }

  async delete(ref: string, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    await this.#run('delete', signal, async () => {
      try {
        await unlink(this.#pathOf(ref));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      await syncDirectory(this.#directory);
    });
  }

  /** After a file was not found: UNAVAILABLE if the directory itself went away since this store saw it. */
  async #expectDirectory(): Promise<void> {
    try {
      await stat(this.#directory);
      this.#directorySeen = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !this.#directorySeen) return;
      throw new CairnError(
        Code.Unavailable,
        `the file secret store's directory ${this.#directory} is gone (on a volume that is no longer mounted?); restore it, then retry`,
        { cause: error, details: { reason: 'secret_store_directory_gone' } },
      );
    }
  }

  #pathOf(ref: string): string {
    return join(this.#directory, `${ref.replaceAll('/', '~')}${FILE_SUFFIX}`);
  }

  async #readFile(ref: string, signal: AbortSignal): Promise<Buffer | undefined> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.#pathOf(ref), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size > MAX_FILE_BYTES) {
        throw new CairnError(
          Code.DataLoss,
          `the secret file of ${JSON.stringify(ref)} is ${size} bytes, larger than any secret; restore it from a backup or put the secret again`,
          { details: { reason: 'secret_file_damaged', ref } },
        );
      }
      return await handle.readFile({ signal });
    } finally {
      await handle.close();
    }
  }

  /** Runs file-system work, turning aborts and errno failures into CairnErrors. */
  async #run<T>(
    action: 'read' | 'write' | 'delete',
    signal: AbortSignal,
    work: () => Promise<T>,
  ): Promise<T> {
    throwIfAborted(signal, SECRET_STORE_ABORT_WORDING);
    try {
      return await work();
    } catch (error) {
      if (error instanceof CairnError) throw error;
      if (isAbortOf(error, signal)) throw abortError(signal, SECRET_STORE_ABORT_WORDING);
      throw fileSystemError(error, action, this.#directory);
    }
  }
}

export function createFileSecretStore(options: FileSecretStoreOptions): FileSecretStore {
  return new FileSecretStore(options);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function notFound(ref: string): CairnError {
  return new CairnError(Code.NotFound, `no secret named ${JSON.stringify(ref)}; put it first`, {
    details: { ref },
  });
}
