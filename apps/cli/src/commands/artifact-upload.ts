import { basename, resolve } from 'node:path';
import { CairnError } from '@cairn/errors';
import { connectCas } from '../cas-connection.js';
import { type Command, casOptions, controlPlaneOptions, helpOption, jsonOption } from '../command.js';
import { ControlPlaneError } from '../controlplane/controlplane-connection.js';
import { optionalString, requiredString } from '../option-values.js';
import { printNote, printResult } from '../output.js';
import { progressReporter } from '../progress-bar.js';

export const artifactUpload: Command = {
  path: ['artifact', 'upload'],
  summary: 'upload a file to the CAS and print its digest',
  synopsis: 'artifact upload -f FILE [--name NAME] [--media-type TYPE] [options]',
  description:
    'Hashes FILE, skips the upload when the CAS already holds it, otherwise streams it (resuming after a\n' +
    'dropped connection) and prints its digest, sha256:<hex>, on stdout. With a control plane configured,\n' +
    'it issues the token, names the CAS and backend, and records the blob so downloads find it later.',
  options: {
    file: { type: 'string', short: 'f', value: 'FILE', description: 'the file to upload' },
    name: {
      type: 'string',
      value: 'NAME',
      description: 'file name recorded with the blob (default: FILE’s name)',
    },
    'media-type': {
      type: 'string',
      value: 'TYPE',
      description: 'media type recorded with the blob, e.g. application/json',
    },
    ...casOptions,
    ...controlPlaneOptions,
    ...jsonOption,
    ...helpOption,
  },
  async run(context) {
    const command = 'artifact upload';
    const file = requiredString(context.options, 'file', command);
    const path = resolve(context.io.cwd, file);
    const fileName = optionalString(context.options, 'name') ?? basename(path);
    const cas = await connectCas(context, { role: 'upload' });
    const progress = progressReporter(context.io.stderr, context.io.stderrIsTty);
    try {
      const mediaType = optionalString(context.options, 'media-type');
      const result = await cas.client.upload(path, {
        fileName,
        ...(mediaType === undefined ? {} : { mediaType }),
        ...(context.io.signal === undefined ? {} : { signal: context.io.signal }),
        onProgress: (update) => progress.update(update),
        onRetry: (retry) => {
          progress.finish();
          printNote(
            context,
            `${retry.error.message}; retrying from byte ${retry.offset} (attempt ${retry.attempt})`,
          );
        },
      });
      progress.finish();
      const recorded = await cas.recordUpload(result.digest).catch((error: unknown) => {
        throw notRecorded(error, result.digest);
      });
      printResult(context, result.digest, {
        ...result,
        fileName,
        ...(recorded === undefined ? {} : { backend: recorded.backendName }),
      });
    } catch (error) {
      progress.finish();
      throw cas.explain(error);
    } finally {
      cas.close();
    }
  },
};

/** The bytes are stored but a later download may not find their backend: say so, and how to fix it. */
function notRecorded(error: unknown, digest: string): unknown {
  if (!(error instanceof CairnError)) return error;
  return new ControlPlaneError(
    error.code,
    `${digest} was uploaded but the control plane did not record it (${error.message}); run the upload again to record it`,
    { cause: error, details: { ...error.details } },
  );
}
