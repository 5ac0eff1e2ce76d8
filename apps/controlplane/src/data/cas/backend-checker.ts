import { create } from '@bufbuild/protobuf';
import { backendService, CheckWriteAccessRequestSchema, fromGrpcError, REASON_TRAILER } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import pRetry from 'p-retry';
import type { CasBackendChecker } from './ports.js';

/**
 * Asks the artifact CAS's BackendService.CheckWriteAccess, with an upload token the control plane minted
 * for itself, all attempts under one deadline of the check's timeout. UNAVAILABLE is tried again (up to
 * 4 tries, from 200 ms apart): a CAS replica that dies mid-check must not mark a good backend failed — a
 * failed default refuses the organisation's uploads until the next scheduled check. Any other answer is
 * the outcome.
 */
export function grpcCasBackendChecker(casGrpcAddress: () => string): CasBackendChecker {
  return {
    async checkWriteAccess(token, timeoutMs, signal) {
      signal.throwIfAborted();
      const address = casGrpcAddress();
      if (!address) {
        throw new CairnError(
          Code.FailedPrecondition,
          'no CAS is configured to check the backend with (cas.grpcAddress of the control plane); an operator must set it',
          { details: { reason: 'cas_not_configured' } },
        );
      }
      const deadline = Date.now() + timeoutMs;
      await pRetry(() => checkOnce(address, token, deadline, timeoutMs, signal), {
        retries: 3,
        minTimeout: 200,
        factor: 2,
        signal,
        shouldRetry: ({ error }) =>
          error instanceof CairnError && error.code === Code.Unavailable && Date.now() + 200 < deadline,
      });
    },
  };
}

async function checkOnce(
  address: string,
  token: string,
  deadline: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const call = client.makeUnaryRequest(
        backendService.checkWriteAccess.path,
        backendService.checkWriteAccess.requestSerialize,
        backendService.checkWriteAccess.responseDeserialize,
        create(CheckWriteAccessRequestSchema, {}),
        metadata,
        { deadline },
        (error) => {
          signal.removeEventListener('abort', cancel);
          if (error === null) resolve();
          else if (
            // The call's own deadline, not the CAS's answer (which carries its reason).
            error.code === status.DEADLINE_EXCEEDED &&
            error.metadata.get(REASON_TRAILER).length === 0
          ) {
            reject(
              new CairnError(
                Code.DeadlineExceeded,
                `the CAS at ${address} did not answer the write check within ${Math.round(timeoutMs / 100) / 10} s; check that it runs and can reach the backend`,
                { cause: error, details: { reason: 'write_check_timeout' } },
              ),
            );
          } else reject(fromGrpcError(error, { service: 'the CAS', address }));
        },
      );
      const cancel = () => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
    });
  } finally {
    client.close();
  }
}
