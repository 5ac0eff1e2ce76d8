import { resolve } from 'node:path';
import { parseDigest } from '@cairn/cas-client';
import { writeFileAtomically } from '../atomic-file.js';
import { runs } from '../attestation/runs.js';
import { type CommandContext, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { writeLine } from '../io.js';
import { printResult } from '../output.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const digest = optionalString(context, 'digest');
  const runId = optionalString(context, 'run');
  if ((digest === undefined) === (runId === undefined)) {
    throw new UsageError(
      'name the attestation with -d sha256:<hex> or with --run ID (one of them)',
      context.command,
    );
  }
  if (digest !== undefined) {
    try {
      parseDigest(digest);
    } catch (error) {
      throw new UsageError((error as Error).message, context.command);
    }
  }
  const bundle = await withControlPlane(context, (client, signal) =>
    runs(client, signal).bundle(digest === undefined ? { runId: runId ?? '' } : { digest }),
  );
  const output = context.outputPath;
  if (output === undefined || output === '-') {
    if (context.format === 'json' && output === undefined) {
      writeLine(
        context.io.stdout,
        JSON.stringify(
          { digest: bundle.digest, bundle: JSON.parse(Buffer.from(bundle.bytes).toString('utf8')) },
          null,
          2,
        ),
      );
      return;
    }
    context.io.stdout.write(bundle.bytes);
    return;
  }
  await writeFileAtomically(resolve(context.io.cwd, output), bundle.bytes);
  printResult(context, {
    table: output,
    json: { digest: bundle.digest, path: resolve(context.io.cwd, output) },
  });
}
