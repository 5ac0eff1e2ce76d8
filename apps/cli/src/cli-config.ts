import { dirname, join, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
// The loader alone: the package's config index also holds the services' setting shapes, which build full
// zod schemas at import (858 KB of source in every command that reads this file, ~0.1 s per call).
import { checkSettings, readConfigFile } from '@cairn/service-runtime/config/loader';
import * as z from 'zod/mini';

const text = (description: string) => z.string().check(z.describe(description));
const optionalText = (description: string) => z.optional(text(description));

/**
 * `.cairn/cli.json`, written by `npm start` so the CLI works with no flags beside it. Checked under the
 * services' rules for null and empty values, with their messages; keys it does not know are left unused
 * rather than refused, since a packed CLI (`npm run pack:cli`) may read a file a newer `npm start` wrote.
 * Written with zod/mini, whose functions the bundle keeps only as used: most commands read this file.
 * docs/configuration.md is generated from this schema.
 */
export const CLI_CONFIG_SCHEMA = z.object({
  cas: z.optional(
    z
      .object({
        grpc: optionalText('host:port of the CAS gRPC endpoint'),
        http: optionalText('http://host:port of the CAS HTTP endpoint'),
      })
      .check(z.describe('the artifact CAS of `npm start`')),
  ),
  controlplane: z.optional(
    z
      .object({
        grpc: optionalText('host:port of its gRPC endpoint'),
        organization: optionalText('the organisation the API token belongs to (shown, not sent)'),
        apiToken: optionalText('an API token (cairn_...); the file is 0600 because of it'),
        adminToken: optionalText('an admin token, for `cairn org` and `cairn token --org`'),
      })
      .check(
        z.describe('the control plane that issues CAS tokens, written by the control plane of `npm start`'),
      ),
  ),
  dev: z.optional(
    z
      .object({
        signingKeyFile: text('the development signing key (a private JWK)'),
        issuer: text('`iss` of the tokens it signs'),
        audience: text('`aud` of the tokens it signs'),
        org: text('the organisation they grant'),
        backend: z.object({
          id: text('id of the backend they grant'),
          provider: text('its provider'),
          location: text('its location'),
        }),
        secret: z
          .string()
          .check(z.meta({ allowEmpty: true, description: 'its secret reference; "" for none' })),
        maxBytes: z
          .int()
          .check(
            z.minimum(0),
            z.meta({ expects: 'a whole number of bytes', description: 'largest upload granted' }),
          ),
      })
      .check(
        z.describe('what the local development key may sign: the embedded default organisation and backend'),
      ),
  ),
});

/** `.cairn/cli.json` as checked. */
export type CliConfig = z.output<typeof CLI_CONFIG_SCHEMA>;
export type ControlPlaneSection = NonNullable<CliConfig['controlplane']>;
/** What the local development key may sign: the embedded default's organisation and backend. */
export type DevConfig = NonNullable<CliConfig['dev']>;

export interface LoadedCliConfig {
  /** The `.cairn` directory it came from; relative paths inside are read from the folder that holds it. */
  readonly home: string;
  readonly config: CliConfig;
}

export const CLI_CONFIG_FILE = 'cli.json';

/**
 * Finds `.cairn/cli.json` in `cwd` or the nearest parent, or in `$CAIRN_HOME` (the `.cairn` directory
 * itself) when that is set. Undefined when there is none: flags and environment may be enough.
 */
export async function loadCliConfig(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedCliConfig | undefined> {
  const explicitHome = env.CAIRN_HOME;
  if (explicitHome !== undefined && explicitHome !== '') {
    const home = resolve(cwd, explicitHome);
    const config = await readConfig(join(home, CLI_CONFIG_FILE));
    if (config === undefined) {
      throw new CairnError(
        Code.FailedPrecondition,
        `CAIRN_HOME is ${explicitHome} but it holds no ${CLI_CONFIG_FILE}; point it at the .cairn folder of a running \`npm start\`, or unset it`,
      );
    }
    return { home, config };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const home = join(dir, '.cairn');
    const config = await readConfig(join(home, CLI_CONFIG_FILE));
    if (config !== undefined) return { home, config };
    if (dirname(dir) === dir) return undefined;
  }
}

const REWRITE = '; fix it or run `npm start` again to rewrite it';

async function readConfig(path: string): Promise<CliConfig | undefined> {
  const parsed = await readConfigFile(path, 'CLI config file', {
    optional: true,
    invalidCode: Code.FailedPrecondition,
    unreadableAdvice: '; check its permissions',
    invalidAdvice: REWRITE,
  });
  if (parsed === undefined) return undefined;
  return checkSettings(CLI_CONFIG_SCHEMA, parsed, {
    source: path,
    service: 'CLI',
    code: Code.FailedPrecondition,
    advice: REWRITE,
  });
}
