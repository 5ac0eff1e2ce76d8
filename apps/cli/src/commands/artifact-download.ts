import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type CasClient, parseDigest } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { connectCas } from '../cas-connection.js';
import { type CommandContext, requiredString } from '../context.js';
import { printNote, printResult } from '../output.js';
import { progressReporter } from '../progress-bar.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const digest = requiredString(context, 'digest', '--digest');
  try {
    parseDigest(digest);
  } catch (error) {
    throw new UsageError((error as Error).message, context.command);
  }
  const output = context.outputPath;
  if (output === '-' && context.format === 'json') {
    throw new UsageError(
      '--json cannot be used with --output -, which already fills stdout',
      context.command,
    );
  }
  const cas = await connectCas(context, { role: 'download', digest });
  const progress = progressReporter(context.io.stderr, context.io.stderrIsTty);
  const transferOptions = {
    ...(context.io.signal === undefined ? {} : { signal: context.io.signal }),
    onProgress: progress.update,
    onRetry: (retry: { error: Error; offset: number; attempt: number }) => {
      progress.finish();
      printNote(
        context,
        `${retry.error.message}; resuming at byte ${retry.offset} (attempt ${retry.attempt})`,
      );
    },
  };
  try {
    if (output === '-') {
      await cas.client.download(digest, context.io.stdout, transferOptions);
      progress.finish();
      return;
    }
    const target = await chooseTarget(context, cas.client, digest, output);
    const result = await cas.client.download(digest, target.path, transferOptions);
    progress.finish();
    printResult(context, { table: target.shown, json: { ...result, path: target.path } });
  } catch (error) {
    progress.finish();
    throw cas.explain(error);
  } finally {
    cas.close();
  }
}

interface Target {
  readonly path: string;
  /** As the user would write it: relative when they gave a relative path or none. */
  readonly shown: string;
}

async function chooseTarget(
  context: CommandContext,
  client: CasClient,
  digest: string,
  output: string | undefined,
): Promise<Target> {
  const signal = context.io.signal;
  const defaultName = async () => {
    const description = await client.describe(digest, signal === undefined ? {} : { signal });
    return safeFileName(description.fileName) ?? parseDigest(digest);
  };
  if (output === undefined) {
    const name = await defaultName();
    const path = resolve(context.io.cwd, name);
    if (await exists(path)) {
      throw new CairnError(
        Code.AlreadyExists,
        `${name} exists in this folder; pass --output to choose where to save (a named file is replaced)`,
      );
    }
    return { path, shown: name };
  }
  const path = resolve(context.io.cwd, output);
  if (await isDirectory(path)) {
    const name = await defaultName();
    return { path: join(path, name), shown: join(output, name) };
  }
  return { path, shown: output };
}

/** The recorded name is the uploader's word: keep only a plain base name, never a path. */
function safeFileName(recorded: string): string | undefined {
  const name = basename(recorded.replaceAll('\\', '/'));
  if (name === '' || name === '.' || name === '..' || name.startsWith('.') || hasControlCharacter(name)) {
    return undefined;
  }
  return name;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function hasControlCharacter(text: string): boolean {
  return [...text].some((character) => (character.codePointAt(0) ?? 0) < 0x20);
}
