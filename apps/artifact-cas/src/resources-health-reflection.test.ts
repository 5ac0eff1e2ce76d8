import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { health, healthService, reflection, reflectionService } from '@cairn/api';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, bytesOf, startTestCas, type TestCas, uploadName } from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

let t: TestCas;
let upload: string;

beforeAll(async () => {
  t = await startTestCas({ findMissingMaxDigests: 5 });
  upload = await t.uploadToken();
});

afterAll(async () => {
  await t.close();
});

describe('ResourceService', () => {
  it('describes a stored blob with its file name and media type', async () => {
    const data = bytesOf(4321, 21);
    await t.grpc.write(upload, uploadName(data), data, {
      metadata: { 'cairn-filename': 'report.xml', 'cairn-media-type': 'application/xml' },
    });
    const { resource } = await t.grpc.describe(upload, blobOf(data).digest);
    expect(resource).toMatchObject({
      digest: blobOf(data).digest,
      size: 4321n,
      fileName: 'report.xml',
      mediaType: 'application/xml',
    });
    const bound = await t.downloadToken({ digest: blobOf(data).digest });
    expect((await t.grpc.describe(bound, blobOf(data).digest)).resource?.size).toBe(4321n);
    await expectStatus(t.grpc.describe(bound, blobOf(bytesOf(3, 3)).digest), 'PERMISSION_DENIED');
    await expectStatus(t.grpc.describe(upload, 'sha256:XYZ'), 'INVALID_ARGUMENT', /64 lower-case hex/);
  });

  it('finds missing digests in request order, each once, with a bounded batch', async () => {
    const stored = bytesOf(100, 22);
    await t.grpc.write(upload, uploadName(stored), stored);
    const a = blobOf(bytesOf(1, 23)).digest;
    const b = blobOf(bytesOf(2, 24)).digest;
    const { missingDigests } = await t.grpc.findMissing(upload, [a, blobOf(stored).digest, b, a]);
    expect(missingDigests).toEqual([a, b]);
    expect((await t.grpc.findMissing(upload, [])).missingDigests).toEqual([]);
    await expectStatus(
      t.grpc.findMissing(upload, Array(6).fill(a)),
      'INVALID_ARGUMENT',
      /at most 5 digests.*split/,
    );
    await expectStatus(t.grpc.findMissing(upload, [a, 'sha256:short']), 'INVALID_ARGUMENT', /digest #2/);
    // A download token bound to one blob may ask about that blob only.
    const bound = await t.downloadToken({ digest: a });
    expect((await t.grpc.findMissing(bound, [a])).missingDigests).toEqual([a]);
    await expectStatus(t.grpc.findMissing(bound, [a, b]), 'PERMISSION_DENIED');
  });

  it('refuses a malformed file name', async () => {
    const data = bytesOf(10, 25);
    await expectStatus(
      t.grpc.write(upload, uploadName(data), data, { metadata: { 'cairn-filename': '../../etc/passwd' } }),
      'INVALID_ARGUMENT',
      /plain name/,
    );
  });
});

describe('grpc.health.v1.Health', () => {
  it('reports SERVING for the server and its services, NOT_FOUND for others, and streams Watch', async () => {
    const check = (service: string) =>
      t.grpc.unary(
        healthService.check,
        create(health.HealthCheckRequestSchema, { service }),
        t.grpc.metadata(undefined),
      );
    expect((await check('')).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect((await check('google.bytestream.ByteStream')).status).toBe(
      health.HealthCheckResponse_ServingStatus.SERVING,
    );
    await expectStatus(check('no.such.Service'), 'NOT_FOUND');
    const watch = t.grpc.client.makeServerStreamRequest(
      healthService.watch.path,
      healthService.watch.requestSerialize,
      healthService.watch.responseDeserialize,
      create(health.HealthCheckRequestSchema, { service: '' }),
      t.grpc.metadata(undefined),
    );
    const [first] = (await new Promise((resolve) =>
      watch.once('data', (response) => resolve([response])),
    )) as [health.HealthCheckResponse];
    expect(first.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    watch.on('error', () => {});
    watch.cancel();
  });
});

describe('server reflection v1', () => {
  type Ask = reflection.ServerReflectionRequest['messageRequest'];

  async function reflect(requests: Ask[]): Promise<reflection.ServerReflectionResponse[]> {
    const call: ClientDuplexStream<reflection.ServerReflectionRequest, reflection.ServerReflectionResponse> =
      t.grpc.client.makeBidiStreamRequest(
        reflectionService.serverReflectionInfo.path,
        reflectionService.serverReflectionInfo.requestSerialize,
        reflectionService.serverReflectionInfo.responseDeserialize,
        t.grpc.metadata(undefined),
      );
    const responses: reflection.ServerReflectionResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (response: reflection.ServerReflectionResponse) => responses.push(response));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const messageRequest of requests) {
      call.write(create(reflection.ServerReflectionRequestSchema, { host: 'localhost', messageRequest }));
    }
    call.end();
    await done;
    return responses;
  }

  const fileNames = (response: reflection.ServerReflectionResponse | undefined) => {
    if (response?.messageResponse.case !== 'fileDescriptorResponse') throw new Error('not a file response');
    return response.messageResponse.value.fileDescriptorProto.map(
      (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
    );
  };

  it('lists the services and returns descriptors by symbol and by file name', async () => {
    const [list, bySymbol, byMethod, byFile, byMessage, missing] = await reflect([
      { case: 'listServices', value: '' },
      { case: 'fileContainingSymbol', value: 'google.bytestream.ByteStream' },
      { case: 'fileContainingSymbol', value: 'cairn.cas.v1.ResourceService.FindMissing' },
      { case: 'fileByFilename', value: 'grpc/health/v1/health.proto' },
      { case: 'fileContainingSymbol', value: 'google.bytestream.WriteRequest' },
      { case: 'fileContainingSymbol', value: 'no.such.Thing' },
    ]);
    expect(list?.messageResponse.case).toBe('listServicesResponse');
    const services =
      list?.messageResponse.case === 'listServicesResponse'
        ? list.messageResponse.value.service.map((service) => service.name)
        : [];
    expect(services.sort()).toEqual([
      'cairn.cas.v1.BackendService',
      'cairn.cas.v1.ResourceService',
      'google.bytestream.ByteStream',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
    ]);
    expect(fileNames(bySymbol)).toEqual(['google/bytestream/bytestream.proto']);
    expect(fileNames(byMethod)).toEqual(['cairn/cas/v1/resource.proto']);
    expect(fileNames(byFile)).toEqual(['grpc/health/v1/health.proto']);
    expect(fileNames(byMessage)).toEqual(['google/bytestream/bytestream.proto']);
    if (bySymbol?.messageResponse.case === 'fileDescriptorResponse') {
      const [file] = bySymbol.messageResponse.value.fileDescriptorProto;
      const proto = fromBinary(FileDescriptorProtoSchema, file ?? new Uint8Array());
      expect(proto.service[0]?.method.map((method) => method.name)).toEqual([
        'Read',
        'Write',
        'QueryWriteStatus',
      ]);
    }
    expect(missing?.messageResponse.case).toBe('errorResponse');
    expect(missing?.messageResponse.value).toMatchObject({ errorCode: 5 });
  });
});
