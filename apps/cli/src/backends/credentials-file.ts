import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';

/**
 * Reads a backend's credentials from a JSON file of string fields, e.g. `{"username": "…", "password":
 * "…"}`: a file keeps them out of the shell history and the process list. Errors never quote its contents.
 */
export async function readCredentialsFile(cwd: string, file: string): Promise<Record<string, string>> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CairnError(
      code === 'ENOENT' ? Code.NotFound : Code.FailedPrecondition,
      code === 'ENOENT'
        ? `${file} does not exist; check the path given to --credentials-file`
        : `cannot read ${file} (${String(code)}); check its permissions`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((value) => typeof value !== 'string')
  ) {
    throw new CairnError(
      Code.InvalidArgument,
      `${file} must hold one JSON object of string fields, e.g. {"username": "...", "password": "..."}`,
    );
  }
  return parsed as Record<string, string>;
}
