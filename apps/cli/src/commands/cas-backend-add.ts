import { credentialsFromFlags } from '../backends/credential-input.js';
import { printBackend } from '../backends/print-backend.js';
import { type Provider, providerFlags } from '../backends/provider-flags.js';
import { type CommandContext, flag, optionalString, requiredString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { parseSize } from '../sizes.js';

export async function run(context: CommandContext): Promise<void> {
  const provider = context.command.split(' ').at(-1) as Provider;
  const spec = providerFlags[provider];
  const location = requiredString(context, camel(spec.location.flag), `--${spec.location.flag}`);
  const name = requiredString(context, 'name', '--name');
  const maxBytes = parseSize(
    requiredString(context, 'maxBytes', '--max-bytes'),
    '--max-bytes',
    context.command,
  );
  const description = optionalString(context, 'description');
  const credentials = await credentialsFromFlags(context, provider, 'add');
  const backend = await withControlPlane(context, (client, signal) =>
    client.createBackend(
      {
        name,
        provider,
        location,
        credentials,
        isDefault: flag(context, 'default'),
        isFallback: flag(context, 'fallback'),
        maxBytes,
        ...(description === undefined ? {} : { description }),
      },
      signal,
    ),
  );
  printBackend(context, backend);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
