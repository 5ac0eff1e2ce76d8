import { createInterface } from 'node:readline/promises';
import { type CommandContext, flag } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printNote, printResult } from '../output.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const [name = ''] = context.args;
  if (!flag(context, 'yes') && !(await confirmed(context, name))) {
    printNote(context, `kept backend "${name}"`);
    return;
  }
  const defaultBackend = await withControlPlane(context, (client, signal) =>
    client.deleteBackend(name, signal),
  );
  const defaultName = defaultBackend.name;
  printResult(context, {
    table:
      `deleted backend "${name}"; blobs recorded on it stay readable` +
      `\nthe default backend is "${defaultName}"`,
    json: { deleted: name, defaultBackend: defaultName },
  });
}

async function confirmed(context: CommandContext, name: string): Promise<boolean> {
  const { stdin } = context.io;
  if (stdin === undefined || context.io.stdinIsTty !== true) {
    throw new UsageError(`deleting backend "${name}" needs --yes when no one can be asked`, context.command);
  }
  const prompt = createInterface({ input: stdin, output: context.io.stderr });
  try {
    const answer = await prompt.question(
      `Delete CAS backend "${name}"? No new blob will go there; blobs it holds stay readable. [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
