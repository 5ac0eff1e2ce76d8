import { createCasClient } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import type { CasResourceReader } from './ports.js';

/** Asks the artifact CAS's ResourceService.Describe, with a token the control plane minted for itself. */
export function grpcCasResourceReader(casGrpcAddress: () => string): CasResourceReader {
  return {
    async describe(digest, token, signal) {
      const address = casGrpcAddress();
      if (!address) {
        throw new CairnError(
          Code.FailedPrecondition,
          'the control plane has no CAS address (cas.grpcAddress) to confirm uploads with; configure it',
        );
      }
      const client = createCasClient({ address, token, retry: { maxAttempts: 3 } });
      try {
        const described = await client.describe(digest, { signal });
        return { size: described.size };
      } catch (error) {
        if (error instanceof CairnError && error.code === Code.NotFound) return undefined;
        throw error;
      } finally {
        client.close();
      }
    },
  };
}
