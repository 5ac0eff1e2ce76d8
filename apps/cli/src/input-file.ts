import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import type { CommandContext } from './context.js';

/**
 * A file a flag names (`--key`, `--bundle`, `--credentials-file`): its bytes, or NOT_FOUND / FAILED_PRECONDITION
 * saying which flag named what, and `advice` when the file is missing. Never quotes the contents.
 */
export async function readInputFile(
  context: CommandContext,
  file: string,
  option: string,
  advice = '',
): Promise<Buffer> {
  try {
    return await readFile(resolve(context.io.cwd, file));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new CairnError(
        Code.NotFound,
        `${file} does not exist; check the path given to ${option}${advice === '' ? '' : ` (${advice})`}`,
      );
    }
    throw new CairnError(
      Code.FailedPrecondition,
      `cannot read ${file} (${String(code)}); check its permissions`,
    );
  }
}
