import { basename, resolve } from 'node:path';
import { connectCas } from '../cas-connection.js';
import { type Command, casOptions, helpOption, jsonOption } from '../command.js';
import { optionalString, requiredString } from '../option-values.js';
import { printNote, printResult } from '../output.js';
import { progressReporter } from '../progress-bar.js';

export const artifactUpload: Command = {
  path: ['artifact', 'upload'],
  summary: 'upload a file to the CAS and print its digest',
  synopsis: 'artifact upload -f FILE [--name NAME] [--media-type TYPE] [options]',
  description:
    'Hashes FILE, skips the upload when the CAS already holds it, otherwise streams it (resuming after a\n' +
    'dropped connection) and prints its digest, sha256:<hex>, on stdout.',
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
      printResult(context, result.digest, { ...result, fileName });
    } catch (error) {
      progress.finish();
      throw cas.explain(error);
    } finally {
      cas.client.close();
    }
  },
};
