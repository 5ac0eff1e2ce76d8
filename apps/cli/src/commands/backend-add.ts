import { printBackend } from '../backends/backend-command.js';
import { readCredentialsFile } from '../backends/credentials-file.js';
import { type Command, controlPlaneOptions, helpOption, jsonOption } from '../command.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { optionalString, requiredString } from '../option-values.js';
import { UsageError } from '../usage-error.js';

const command = 'backend add';

export const backendAdd: Command = {
  path: ['backend', 'add'],
  summary: 'add a CAS backend after the control plane checked it can write there',
  synopsis:
    'backend add --name NAME --provider PROVIDER --location LOCATION [--credentials-file FILE] [--default|--fallback] [options]',
  description:
    'Creates a CAS backend of the organisation. The control plane first proves write access with the\n' +
    'credentials (a probe is written, read back and removed) and keeps them only in its secret store.\n' +
    'Providers: oci (REGISTRY/REPOSITORY), aws-s3 (BUCKET[/PREFIX]), azure-blob (CONTAINER[/PREFIX]),\n' +
    'filesystem (a directory the CAS can reach).',
  options: {
    name: { type: 'string', value: 'NAME', description: 'DNS-style name, unique in the organisation' },
    provider: { type: 'string', value: 'PROVIDER', description: 'oci, aws-s3, azure-blob or filesystem' },
    location: {
      type: 'string',
      value: 'LOCATION',
      description: 'where the blobs go, in the provider’s terms',
    },
    'credentials-file': {
      type: 'string',
      value: 'FILE',
      description: 'JSON object of the provider’s credential fields (never passed on the command line)',
    },
    description: { type: 'string', value: 'TEXT', description: 'a note for people' },
    default: { type: 'boolean', description: 'make it the default backend (uploads go here)' },
    fallback: { type: 'boolean', description: 'make it the fallback (used while the default is invalid)' },
    'max-bytes': {
      type: 'string',
      value: 'N',
      description: 'largest blob it accepts (default: no limit of its own)',
    },
    ...controlPlaneOptions,
    ...jsonOption,
    ...helpOption,
  },
  async run(context) {
    const { options } = context;
    const name = requiredString(options, 'name', command);
    const provider = requiredString(options, 'provider', command);
    const location = requiredString(options, 'location', command);
    if (options.default === true && options.fallback === true) {
      throw new UsageError('a backend is the default or the fallback, never both', command);
    }
    const maxBytes = wholeNumber(optionalString(options, 'max-bytes'));
    const file = optionalString(options, 'credentials-file');
    const credentials = file === undefined ? {} : await readCredentialsFile(context.io.cwd, file);
    const description = optionalString(options, 'description');
    const backend = await withControlPlane(context, (client, signal) =>
      client.createBackend(
        {
          name,
          provider,
          location,
          credentials,
          isDefault: options.default === true,
          isFallback: options.fallback === true,
          ...(description === undefined ? {} : { description }),
          ...(maxBytes === undefined ? {} : { maxBytes }),
        },
        signal,
      ),
    );
    printBackend(context, backend);
  },
};

function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--max-bytes "${text}" is not a whole number of bytes`, command);
  }
  return value;
}
