import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { RunningArtifactCas } from '@cairn/artifact-cas';
import { createCasClient } from '@cairn/cas-client';
import { createLogger } from '@cairn/observability';
import {
  type AttestationOptions,
  type Attestations,
  type BundleCopierOptions,
  type CasRetryPolicy,
  createAttestations,
  type Principal,
  type RunExpiryOptions,
} from '../biz/index.js';
import {
  type CasBackend,
  type CasBlobTransfer,
  grpcCasBlobTransfer,
  grpcCasResourceReader,
} from '../data/index.js';
import { type CoreHarness, createCoreHarness } from './core-harness.js';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from './databases.js';

/** The core on a test database, with a real in-process CAS serving filesystem backends in temp dirs. */
export interface AttestationHarness {
  readonly h: CoreHarness;
  readonly database: TestDatabase;
  readonly cas: RunningArtifactCas;
  /** The real gRPC transfer to the CAS. */
  readonly transfer: CasBlobTransfer;
  /** Attestation use cases of their own (own cache and copier) over the shared core; closed by `close`. */
  attestations(options?: {
    options?: Partial<AttestationOptions>;
    transfer?: CasBlobTransfer;
    copier?: Partial<BundleCopierOptions>;
    retry?: Partial<CasRetryPolicy>;
    expiry?: Partial<RunExpiryOptions>;
  }): Attestations;
  /** A filesystem backend in a fresh temp dir. */
  filesystemBackend(
    principal: Principal,
    name: string,
    flags?: { isDefault?: boolean; isFallback?: boolean },
  ): Promise<CasBackend>;
  /** Uploads bytes with a CAS token, as a client would; returns their digest. */
  upload(token: string, bytes: Uint8Array): Promise<string>;
  /** The size the CAS reports for a blob on `backend`, or undefined if it does not hold it. */
  casSize(backend: CasBackend, digest: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function createAttestationHarness(kind: TestDatabaseKind): Promise<AttestationHarness> {
  const database = await createTestDatabase(kind);
  const h = await createCoreHarness(database.store);
  const { cas } = h;
  const casAddress = cas.grpcAddress;
  const reader = grpcCasResourceReader(() => casAddress);
  const logger = createLogger({ level: 'debug', write: (line) => h.logs.push(line) });
  const transfer = grpcCasBlobTransfer(() => casAddress);
  const made: Attestations[] = [];
  const signal = AbortSignal.timeout(600_000);

  return {
    h,
    database,
    cas,
    transfer,
    attestations(options = {}) {
      const attestations = createAttestations({
        store: database.store,
        credentials: h.core.credentials,
        mapping: h.core.mapping,
        transfer: options.transfer ?? transfer,
        logger,
        ...(options.options ? { options: options.options } : {}),
        copier: { sweepGraceMs: 0, ...options.copier },
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.expiry ? { expiry: options.expiry } : {}),
      });
      made.push(attestations);
      return attestations;
    },
    async filesystemBackend(principal, name, flags = {}) {
      return h.core.backends.create(
        principal,
        { name, provider: 'filesystem', location: await h.newBackendDir(), credentials: {}, ...flags },
        signal,
      );
    },
    async upload(token, bytes) {
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const client = createCasClient({ address: casAddress, token });
      try {
        await client.upload({
          digest,
          size: bytes.byteLength,
          data: async function* () {
            yield bytes;
          },
        });
      } finally {
        client.close();
      }
      return digest;
    },
    async casSize(backend, digest) {
      const { token } = await h.core.credentials.issueFor(
        { orgId: backend.orgId, subject: 'test' },
        'download',
        { backend, isFallback: false },
        digest,
      );
      const described = await reader.describe(digest, token, signal);
      return described?.size;
    },
    async close() {
      for (const attestations of made) {
        await attestations.copier.stop();
        await attestations.expiry.stop();
      }
      await h?.close();
      await database?.drop();
    },
  };
}

/** A loopback address where nothing listens: connecting to it is refused at once (UNAVAILABLE). */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}
