import { type Command, controlPlaneOptions, helpOption, jsonOption } from '../command.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { parseDuration } from '../durations.js';
import { optionalString, requiredString } from '../option-values.js';
import { printResult } from '../output.js';

const command = 'token create';
const LONGEST_EXPIRY_SECONDS = 3650 * 86_400;

export const tokenCreate: Command = {
  path: ['token', 'create'],
  summary: 'create an API token of your organisation (shown once)',
  synopsis: `${command} --name NAME [--robot] [--expires 90d] [options]`,
  description:
    'Creates an API token of the organisation the current API token belongs to and prints it once: the\n' +
    'control plane keeps only its hash. Give it to a person or a CI job as CAIRN_API_TOKEN.',
  options: {
    name: { type: 'string', value: 'NAME', description: 'what the token is for, e.g. ci-release' },
    robot: { type: 'boolean', description: 'a token for a CI robot rather than a person' },
    expires: {
      type: 'string',
      value: 'DURATION',
      description: 'lifetime: 12h, 90d or seconds (default: until revoked)',
    },
    ...controlPlaneOptions,
    ...jsonOption,
    ...helpOption,
  },
  async run(context) {
    const name = requiredString(context.options, 'name', command);
    const kind = context.options.robot === true ? 'robot' : 'user';
    const expires = optionalString(context.options, 'expires');
    const lifetimeSeconds =
      expires === undefined
        ? undefined
        : parseDuration(expires, '--expires', command, LONGEST_EXPIRY_SECONDS);
    const expiresAt =
      lifetimeSeconds === undefined ? undefined : new Date(Date.now() + lifetimeSeconds * 1000);
    const created = await withControlPlane(context, (client, signal) =>
      client.createApiToken({ name, kind, ...(expiresAt === undefined ? {} : { expiresAt }) }, signal),
    );
    printResult(context, created.secret, {
      id: created.token?.id ?? '',
      name,
      kind,
      secret: created.secret,
      ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
    });
  },
};
