import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import type { ProviderKind } from './core/provider.js';
import { filesystemProvider } from './filesystem/index.js';
import { isProviderKind, providerFor, providers } from './registry.js';

const kinds: ProviderKind[] = ['filesystem', 'oci', 'aws-s3', 'azure-blob'];

function codeOf(run: () => unknown): Code | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof CairnError ? error.code : undefined;
  }
  return undefined;
}

describe('provider registry', () => {
  it('registers every provider under its own kind', () => {
    for (const [kind, provider] of Object.entries(providers)) expect(provider.kind).toBe(kind);
    expect(providerFor('filesystem')).toBe(filesystemProvider);
  });

  it('answers kinds not in this build with UNIMPLEMENTED and unknown kinds with INVALID_ARGUMENT', () => {
    for (const kind of kinds) {
      expect(isProviderKind(kind)).toBe(true);
      if (!providers[kind]) expect(codeOf(() => providerFor(kind))).toBe(Code.Unimplemented);
    }
    expect(isProviderKind('gcs')).toBe(false);
    expect(codeOf(() => providerFor('gcs'))).toBe(Code.InvalidArgument);
    expect(codeOf(() => providerFor('__proto__'))).toBe(Code.InvalidArgument);
  });
});
