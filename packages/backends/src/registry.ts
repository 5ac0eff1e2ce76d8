import { CairnError, Code } from '@cairn/errors';
// The providers' own modules, not their index files: those export clients that would load the SDKs now.
import { awsS3Provider } from './aws-s3/provider.js';
import { azureBlobProvider } from './azure-blob/provider.js';
import type { Provider, ProviderKind } from './core/provider.js';
import { filesystemProvider } from './filesystem/provider.js';
import { ociProvider } from './oci/provider.js';

/** A provider whose credential type is not known statically: parseCredentials is what types them. */
export type AnyProvider = Provider<unknown>;

/**
 * The providers this build knows. Adding one is one line here (next to its import); its `kind` must be
 * its key, which a test checks.
 */
export const providers: { readonly [Kind in ProviderKind]?: AnyProvider } = {
  filesystem: filesystemProvider,
  oci: ociProvider,
  'aws-s3': awsS3Provider,
  'azure-blob': azureBlobProvider,
};

const KINDS: readonly string[] = ['filesystem', 'oci', 'aws-s3', 'azure-blob'] satisfies ProviderKind[];

export function isProviderKind(kind: string): kind is ProviderKind {
  return KINDS.includes(kind);
}

/** The provider for `kind`: INVALID_ARGUMENT for a kind Cairn does not know, UNIMPLEMENTED for one not in this build. */
export function providerFor(kind: string): AnyProvider {
  if (!isProviderKind(kind)) {
    throw new CairnError(
      Code.InvalidArgument,
      `"${kind.slice(0, 40)}" is not a backend provider; use one of ${KINDS.join(', ')}`,
    );
  }
  const provider = providers[kind];
  if (!provider) {
    throw new CairnError(Code.Unimplemented, `the ${kind} provider is not available in this build of Cairn`);
  }
  return provider;
}
