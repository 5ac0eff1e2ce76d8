import { create } from '@bufbuild/protobuf';
import { health, healthService } from '@cairn/api';
import { afterEach, describe, expect, it } from 'vitest';
import { blobOf, bytesOf, startTestCas, type TestCas, uploadName } from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

const running: TestCas[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.close()));
});

async function started(graceMs: number): Promise<TestCas> {
  const t = await startTestCas({ shutdownGraceMs: graceMs });
  running.push(t);
  return t;
}

function watchHealth(t: TestCas): health.HealthCheckResponse_ServingStatus[] {
  const seen: health.HealthCheckResponse_ServingStatus[] = [];
  const watch = t.grpc.client.makeServerStreamRequest(
    healthService.watch.path,
    healthService.watch.requestSerialize,
    healthService.watch.responseDeserialize,
    create(health.HealthCheckRequestSchema, { service: '' }),
    t.grpc.metadata(undefined),
  );
  watch.on('data', (response: health.HealthCheckResponse) => seen.push(response.status));
  watch.on('error', () => {});
  return seen;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Waits until the CAS holds `bytes` of the upload, so the call is known to be running there. */
async function arrived(t: TestCas, token: string, name: string, bytes: number): Promise<void> {
  await until(
    async () =>
      (await t.grpc.queryWriteStatus(token, name).catch(() => undefined))?.committedSize === BigInt(bytes),
    'the bytes arrive',
  );
}

describe('graceful shutdown', () => {
  it('stops taking work, reports NOT_SERVING, and lets a running upload finish', async () => {
    const t = await started(30_000);
    const token = await t.uploadToken();
    const statuses = watchHealth(t);
    await until(() => statuses.length === 1, 'the watch reports');
    const data = bytesOf(3 * 1024 * 1024, 41);
    const name = uploadName(data);
    const write = t.grpc.startWrite(token);
    await write.send({ resourceName: name, data: data.subarray(0, 1024 * 1024) });
    await arrived(t, token, name, 1024 * 1024);

    const closing = t.cas.close();
    await until(() => statuses.includes(health.HealthCheckResponse_ServingStatus.NOT_SERVING), 'NOT_SERVING');
    // New connections are refused while the running call goes on.
    await expect(fetch(`${t.cas.httpUrl}/readyz`)).rejects.toThrow();

    await write.send({ writeOffset: 1024 * 1024, data: data.subarray(1024 * 1024), finishWrite: true });
    write.end();
    expect(await write.response).toBe(BigInt(data.byteLength));
    await closing;
    const { hex } = blobOf(data);
    expect(await t.files()).toContain(`sha256/${hex.slice(0, 2)}/${hex}`);
    expect(statuses).toEqual([
      health.HealthCheckResponse_ServingStatus.SERVING,
      health.HealthCheckResponse_ServingStatus.NOT_SERVING,
    ]);
  });

  it('cancels what still runs when the grace ends and leaves open uploads staged for another replica', async () => {
    const t = await started(300);
    const token = await t.uploadToken();
    const before = await t.files();
    const data = bytesOf(2 * 1024 * 1024, 42);
    const name = uploadName(data);
    const write = t.grpc.startWrite(token);
    await write.send({ resourceName: name, data: data.subarray(0, 1024 * 1024) });
    await arrived(t, token, name, 1024 * 1024);
    // Another upload, interrupted earlier and waiting to be resumed.
    const other = bytesOf(1000, 43);
    await t.grpc.write(token, uploadName(other), other.subarray(0, 500), { finish: false });

    await t.cas.close();
    await expectStatus(write.response, 'UNAVAILABLE', /shutting down/);
    // Nothing visible; both uploads staged, whole as far as they came, for a CAS on the same folder to
    // continue (resume-across-replicas.test.ts).
    const added = (await t.files()).filter((file) => !before.includes(file));
    expect(added).toHaveLength(2);
    for (const file of added) expect(file).toMatch(/^\.staging\/[0-9a-f]{12}-[0-9a-f]{32}\.partial$/);
  });
});
