import { open } from 'node:fs/promises';

/** Flushes a directory's entries to disk, so a rename or a new file in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
