import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { globalRegistry } from 'zod/v4/core';
import { secretStoreSettingsSchema } from './config-settings.js';

describe('secretStoreSettingsSchema', () => {
  it('takes per kind only that kind’s settings', () => {
    const schema = secretStoreSettingsSchema();
    expect(schema.safeParse({ kind: 'file', directory: '/s', keyFile: '/k' }).success).toBe(true);
    expect(schema.safeParse({ kind: 'file', endpoint: 'https://v' }).success).toBe(false);
    expect(schema.safeParse({ kind: 'vault', endpoint: 'https://v', directory: '/s' }).success).toBe(false);
    expect(schema.safeParse({ kind: 'vault' }).success).toBe(false);
  });

  it('needs a kind unless the service gives one by default', () => {
    expect(secretStoreSettingsSchema().safeParse({ directory: '/s' }).success).toBe(false);
    expect(secretStoreSettingsSchema({ defaultKind: 'file' }).parse({ directory: '/s' })).toEqual({
      kind: 'file',
      directory: '/s',
    });
  });

  it('marks its files as paths for the config loader, and an empty Vault prefix as meaningful', () => {
    const [file, vault] = secretStoreSettingsSchema().def.options;
    const meta = (schema: z.ZodOptional) => globalRegistry.get(schema.def.innerType);
    expect(meta(file.shape.directory)).toMatchObject({ path: true });
    expect(meta(file.shape.keyFile)).toMatchObject({ path: true });
    expect(meta(vault.shape.tokenFile)).toMatchObject({ path: true });
    expect(meta(vault.shape.caCertificateFile)).toMatchObject({ path: true });
    expect(meta(vault.shape.prefix)).toMatchObject({ allowEmpty: true });
  });
});
