import { readFile } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import { createSecretStore, type SecretStore } from '@cairn/secrets';
import type { SecretStoreSettings } from '../config/cas-config.js';
import { configError, integerAt, stringAt } from '../config/config-input.js';

/**
 * Builds the secret store the config names. Key material never sits in the config itself:
 *   { "kind": "file",  "directory": "...", "keyFile": "..." }            (key: 32 bytes, hex or base64)
 *   { "kind": "vault", "endpoint": "https://...", "tokenFile": "...", "mount"?, "prefix"?, "namespace"?,
 *     "requestTimeoutMs"?, "caCertificateFile"? }   — or the token in $CAIRN_CAS_VAULT_TOKEN.
 */
export async function openSecretStore(
  settings: SecretStoreSettings,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<SecretStore> {
  switch (settings.kind) {
    case 'file': {
      const directory = stringAt(settings.directory, 'secrets.directory');
      const keyFile = stringAt(settings.keyFile, 'secrets.keyFile');
      if (!directory || !keyFile)
        throw configError('secrets', 'of kind "file" needs "directory" and "keyFile"');
      return createSecretStore({
        kind: 'file',
        directory,
        key: await readSecretFile(keyFile, 'secrets.keyFile', signal),
      });
    }
    case 'vault': {
      const endpoint = stringAt(settings.endpoint, 'secrets.endpoint');
      if (!endpoint) throw configError('secrets.endpoint', 'is required for a Vault secret store');
      const tokenFile = stringAt(settings.tokenFile, 'secrets.tokenFile');
      const token = tokenFile
        ? await readSecretFile(tokenFile, 'secrets.tokenFile', signal)
        : env.CAIRN_CAS_VAULT_TOKEN;
      if (!token)
        throw configError('secrets.tokenFile', 'or $CAIRN_CAS_VAULT_TOKEN must give the Vault token');
      const caFile = stringAt(settings.caCertificateFile, 'secrets.caCertificateFile');
      const optional = (key: string) => stringAt(settings[key], `secrets.${key}`);
      const timeout = integerAt(settings.requestTimeoutMs, 'secrets.requestTimeoutMs', 1, 600_000);
      return createSecretStore({
        kind: 'vault',
        endpoint,
        token: token.trim(),
        mount: optional('mount'),
        prefix: typeof settings.prefix === 'string' ? settings.prefix : undefined,
        namespace: optional('namespace'),
        requestTimeoutMs: timeout,
        caCertificate: caFile ? await readSecretFile(caFile, 'secrets.caCertificateFile', signal) : undefined,
      });
    }
    default:
      throw configError('secrets.kind', 'must be "file" or "vault"');
  }
}

async function readSecretFile(path: string, key: string, signal: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw CairnError.from(
      error,
      Code.FailedPrecondition,
      `cannot read ${key} ${path} (${code}); check the CAS config`,
    );
  }
}
