import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { connectCas } from '../cas-connection.js';
import { type CommandContext, optionalString, requiredString } from '../context.js';
import { ControlPlaneError } from '../controlplane/controlplane-connection.js';
import { printResult } from '../output.js';
import { formatSize } from '../sizes.js';

export async function run(context: CommandContext): Promise<void> {
  const path = resolve(context.io.cwd, requiredString(context, 'file', '--file'));
  const size = await fileSize(path, requiredString(context, 'file', '--file'));
  const fileName = optionalString(context, 'name') ?? basename(path);
  const cas = await connectCas(context, { role: 'upload' });
  try {
    const backend = await cas.backend();
    // Refused here, before any byte moves, with the backend's name (the CAS would refuse it too).
    if (backend !== undefined && backend.maxBytes > 0 && size > backend.maxBytes) {
      throw new ControlPlaneError(
        Code.ResourceExhausted,
        `the file is ${formatSize(size)}, over the ${formatSize(backend.maxBytes)} limit of backend "${backend.name}"; raise it with \`cairn cas-backend update ${backend.name} --max-bytes SIZE\``,
        { details: { reason: 'blob_too_large' } },
      );
    }
    const mediaType = optionalString(context, 'mediaType');
    const result = await cas.uploadFile(path, {
      fileName,
      ...(mediaType === undefined ? {} : { mediaType }),
    });
    const recorded = await cas.recordUpload(result.digest).catch((error: unknown) => {
      throw notRecorded(error, result.digest);
    });
    printResult(context, {
      table: result.digest,
      json: {
        digest: result.digest,
        size: result.size,
        fileName,
        existed: result.existed,
        ...(recorded === undefined ? {} : { backend: recorded.backendName }),
      },
    });
  } catch (error) {
    throw cas.explain(error);
  } finally {
    cas.close();
  }
}

async function fileSize(path: string, shown: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new CairnError(Code.InvalidArgument, `${shown} is not a file; give a file to --file`);
    return info.size;
  } catch (error) {
    if (error instanceof CairnError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new CairnError(
      code === 'ENOENT' ? Code.NotFound : Code.FailedPrecondition,
      code === 'ENOENT'
        ? `${shown} does not exist; check the path given to --file`
        : `cannot read ${shown} (${String(code)})`,
    );
  }
}

/** The bytes are stored but a later download may not find their backend: say so, and how to fix it. */
function notRecorded(error: unknown, digest: string): unknown {
  if (!(error instanceof CairnError)) return error;
  return new ControlPlaneError(
    error.code,
    `${digest} was uploaded but the control plane did not record it (${error.message}); run the upload again to record it`,
    { cause: error, details: { ...error.details } },
  );
}
