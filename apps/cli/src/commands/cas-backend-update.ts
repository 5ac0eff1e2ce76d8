import { credentialsFromFlags } from '../backends/credential-input.js';
import { printBackend } from '../backends/print-backend.js';
import { PROVIDERS } from '../backends/provider-flags.js';
import { type CommandContext, flag, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printNote } from '../output.js';
import { parseSize } from '../sizes.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const [name = ''] = context.args;
  const description = optionalString(context, 'description');
  const maxBytesText = optionalString(context, 'maxBytes');
  const maxBytes =
    maxBytesText === undefined ? undefined : parseSize(maxBytesText, '--max-bytes', context.command);
  const backend = await withControlPlane(context, async (client, signal) => {
    const current = await client.getBackend(name, signal);
    const provider = PROVIDERS.find((candidate) => candidate === current.provider);
    const credentials = provider === undefined ? {} : await credentialsFromFlags(context, provider, 'update');
    const changes = {
      ...(description === undefined ? {} : { description }),
      ...(flag(context, 'default') ? { isDefault: true } : {}),
      ...(flag(context, 'fallback') ? { isFallback: true } : {}),
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(Object.keys(credentials).length === 0 ? {} : { credentials }),
    };
    if (Object.keys(changes).length === 0) {
      throw new UsageError('nothing to change: give at least one option', context.command);
    }
    return client.updateBackend(name, changes, signal);
  });
  printBackend(context, backend);
  if (backend.inline && backend.isDefault && flag(context, 'default')) {
    printNote(
      context,
      `"${backend.name}" is the default again: attestations embed materials up to its limit, but \`cairn artifact upload\` needs a storage backend as the default (\`cairn cas-backend update NAME --default\`)`,
    );
  }
}
