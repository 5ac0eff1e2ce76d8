import { z } from 'zod';
import { DEFAULT_VAULT_REQUEST_TIMEOUT_MS } from './vault/vault-options.js';

/** A file or folder: the service's config loader resolves a relative one against the config file's folder. */
const path = (description: string) => z.string().meta({ path: true, description });

const vaultSettings = z.strictObject({
  kind: z.literal('vault'),
  endpoint: z.string().describe("Vault's base URL, e.g. https://vault.internal:8200"),
  tokenFile: path(
    'file holding the Vault token (else the service reads it from its token variable)',
  ).optional(),
  mount: z
    .string()
    .meta({ description: 'path of the KV version 2 secrets engine', defaultText: 'secret' })
    .optional(),
  prefix: z
    .string()
    .meta({
      allowEmpty: true,
      description: 'path under the mount that holds Cairn\'s secrets; "" for none',
      defaultText: 'cairn',
    })
    .optional(),
  namespace: z.string().describe('Vault Enterprise namespace (sent as X-Vault-Namespace)').optional(),
  requestTimeoutMs: z
    .int()
    .min(1)
    .max(600_000)
    .meta({
      description: 'upper bound of one call to Vault',
      defaultText: String(DEFAULT_VAULT_REQUEST_TIMEOUT_MS),
    })
    .optional(),
  caCertificateFile: path(
    "PEM file of the CA that signed Vault's certificate, when it is not a public one",
  ).optional(),
});

export interface SecretStoreSchemaOptions {
  /** The kind a section that names none has; without it, `kind` is required. */
  readonly defaultKind?: 'file';
  /** The file store's defaults as the service's docs state them (the service fills them in). */
  readonly fileDefaults?: { readonly directory: string; readonly keyFile: string };
}

/**
 * The `secrets` section of a Cairn service's config, the CAS's and the control plane's alike: which secret
 * store holds backend credentials. A strict schema per kind, so a misspelt setting, or one of the other
 * kind, is refused rather than left unused. Key material is never in it: files hold it (`keyFile`,
 * `tokenFile`, `caCertificateFile`), or a variable the service reads (the Vault token).
 */
export function secretStoreSettingsSchema(options: SecretStoreSchemaOptions = {}) {
  const kind = z.literal('file');
  return z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: options.defaultKind === 'file' ? kind.default('file') : kind,
        directory: path('folder of the file store (one encrypted file per secret)')
          .meta(options.fileDefaults ? { defaultText: options.fileDefaults.directory } : {})
          .optional(),
        keyFile: path("file with the file store's 32-byte key, hex or base64")
          .meta(options.fileDefaults ? { defaultText: options.fileDefaults.keyFile } : {})
          .optional(),
      }),
      vaultSettings,
    ])
    .describe('which secret store holds backend credentials: file or vault');
}

/** A `secrets` section as checked by `secretStoreSettingsSchema` (paths resolved by the loader). */
export type SecretStoreSettings = z.output<ReturnType<typeof secretStoreSettingsSchema>>;
