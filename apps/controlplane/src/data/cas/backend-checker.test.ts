import { create } from '@bufbuild/protobuf';
import { backendService, CheckWriteAccessResponseSchema } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { type handleUnaryCall, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { afterEach, describe, it } from 'vitest';
import { grpcCasBackendChecker } from './backend-checker.js';

// A scripted CAS: a real gRPC server answering CheckWriteAccess as a replica dying mid-check does
// (UNAVAILABLE) for the first tries. The real CAS's check is tested in apps/artifact-cas and, through the
// balancer with replicas killed, in e2e/src/cluster.

let server: Server | undefined;
afterEach(() => {
  server?.forceShutdown();
  server = undefined;
});

async function scriptedCas(
  answers: Array<'unavailable' | 'denied' | 'ok'>,
): Promise<{ address: string; calls: () => number }> {
  let calls = 0;
  const checkWriteAccess: handleUnaryCall<unknown, unknown> = (_call, reply) => {
    const answer = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    if (answer === 'ok') reply(null, create(CheckWriteAccessResponseSchema, {}));
    else if (answer === 'denied')
      reply({ code: status.PERMISSION_DENIED, details: 'the bucket refused the write' });
    else reply({ code: status.UNAVAILABLE, details: 'replica going away' });
  };
  server = new Server();
  server.addService(backendService, { checkWriteAccess });
  const port = await new Promise<number>((resolve, reject) =>
    server?.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, calls: () => calls };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'passed',
    (error: unknown) => (error instanceof CairnError ? error.code : error),
  );

describe('the write check through the CAS', () => {
  it('passes when a replica answers after one died mid-check', async ({ expect }) => {
    const cas = await scriptedCas(['unavailable', 'unavailable', 'ok']);
    const checker = grpcCasBackendChecker(() => cas.address);
    await expect(
      codeOf(checker.checkWriteAccess('token', 10_000, new AbortController().signal)),
    ).resolves.toBe('passed');
    expect(cas.calls()).toBe(3);
  });

  it('reports the CAS unavailable after four tries', async ({ expect }) => {
    const cas = await scriptedCas(['unavailable']);
    const checker = grpcCasBackendChecker(() => cas.address);
    await expect(
      codeOf(checker.checkWriteAccess('token', 10_000, new AbortController().signal)),
    ).resolves.toBe(Code.Unavailable);
    expect(cas.calls()).toBe(4);
  });

  it('takes any other answer as the outcome at once', async ({ expect }) => {
    const cas = await scriptedCas(['denied', 'ok']);
    const checker = grpcCasBackendChecker(() => cas.address);
    await expect(
      codeOf(checker.checkWriteAccess('token', 10_000, new AbortController().signal)),
    ).resolves.toBe(Code.PermissionDenied);
    expect(cas.calls()).toBe(1);
  });

  it('tries no more once the check ran out of its time', async ({ expect }) => {
    const cas = await scriptedCas(['unavailable']);
    const checker = grpcCasBackendChecker(() => cas.address);
    await expect(codeOf(checker.checkWriteAccess('token', 300, new AbortController().signal))).resolves.toBe(
      Code.Unavailable,
    );
    expect(cas.calls()).toBeLessThanOrEqual(2);
  });
});
