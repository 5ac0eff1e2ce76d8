import { randomUUID } from 'node:crypto';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { exportPrivateJwk, generateSigningKey, importSigningKey, type SigningKey } from './signing-key.js';

/**
 * Loads the signing key kept at `path` (a private JWK, mode 0600), creating it on first use. This is the
 * development key under `.cairn/` and the control plane's own key.
 *
 * Creation is atomic and exclusive: the key is written to a temp file, synced, then hard-linked into
 * place, which fails if another process created the key meanwhile; the loser then uses the winner's
 * key, so two processes starting together never end up signing with different keys.
 */
export async function loadOrCreateSigningKey(path: string, signal?: AbortSignal): Promise<SigningKey> {
  try {
    return await loadOrCreate(path, signal);
  } catch (error) {
    throw CairnError.from(error, Code.Internal);
  }
}

async function loadOrCreate(path: string, signal?: AbortSignal): Promise<SigningKey> {
  signal?.throwIfAborted();
  const existing = await readKeyFile(path, signal);
  if (existing !== undefined) return existing;
  const created = await generateSigningKey();
  if (await publishKeyFile(path, JSON.stringify(await exportPrivateJwk(created), null, 2), signal))
    return created;
  const winner = await readKeyFile(path, signal);
  if (winner === undefined) {
    throw new CairnError(
      Code.Internal,
      `signing key file ${path} vanished while it was being created; try again`,
    );
  }
  return winner;
}

async function readKeyFile(path: string, signal?: AbortSignal): Promise<SigningKey | undefined> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      refuseLooseMode(path, (await file.stat()).mode);
      text = await file.readFile({ encoding: 'utf8', signal });
    } finally {
      await file.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(error, `could not read signing key file ${path}`);
  }
  try {
    return await importSigningKey(JSON.parse(text));
  } catch {
    // Neither the parse error nor the import error may travel on: both can quote key material.
    throw new CairnError(
      Code.FailedPrecondition,
      `signing key file ${path} does not hold an ES256 private JWK; restore it from a backup, or move it away ` +
        'to create a new key (tokens signed by the old key then stop verifying)',
    );
  }
}

/** Writes the key beside `path` and links it into place; false when another process got there first. */
async function publishKeyFile(path: string, contents: string, signal?: AbortSignal): Promise<boolean> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(contents, { encoding: 'utf8', signal });
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    await syncDirectory(directory);
    return true;
  } catch (error) {
    throw fileError(error, `could not create signing key file ${path}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function refuseLooseMode(path: string, mode: number): void {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  throw new CairnError(
    Code.FailedPrecondition,
    `signing key file ${path} is readable by other users (mode ${octal}); run 'chmod 600 ${path}'`,
  );
}

// Makes the new directory entry durable, so a crash cannot lose a key that already signed tokens.
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

function fileError(error: unknown, action: string): CairnError {
  if (error instanceof CairnError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return CairnError.from(
    error,
    Code.FailedPrecondition,
    `${action}${code ? ` (${code})` : ''}; check the path and its permissions`,
  );
}
