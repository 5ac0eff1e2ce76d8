import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { formatDigest } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';

export interface FileDigest {
  readonly digest: string;
  readonly size: number;
}

/** Hashes a file while streaming it, so even a huge file costs one read buffer of memory. */
export async function digestFile(
  path: string,
  options: { signal?: AbortSignal; onBytes?: (bytesHashed: number) => void } = {},
): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, {
    highWaterMark: 1024 * 1024,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      options.onBytes?.(size);
    }
  } catch (error) {
    throw fileError(error, path);
  }
  return { digest: formatDigest(hash.digest('hex')), size };
}

/** A CairnError for a local file problem, naming the file and what to do. */
export function fileError(error: unknown, path: string): CairnError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return new CairnError(Code.NotFound, `${path} does not exist; check the path`);
  if (code === 'EACCES' || code === 'EPERM') {
    return new CairnError(
      Code.PermissionDenied,
      `cannot read ${path}: permission denied; check its permissions`,
    );
  }
  if (code === 'EISDIR') return new CairnError(Code.InvalidArgument, `${path} is a directory; give a file`);
  return CairnError.from(
    error,
    Code.Internal,
    `cannot read ${path}: ${String((error as Error).message ?? error)}`,
  );
}
