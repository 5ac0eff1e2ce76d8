import { create } from '@bufbuild/protobuf';
import {
  type AttestationServiceAddMaterialRequest,
  AttestationServiceAddMaterialResponseSchema,
  AttestationServiceGetRunResponseSchema,
  attestationService,
  type Material,
  MaterialKind,
  MaterialSchema,
  OrganizationServiceListResponseSchema,
  organizationService,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import {
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { afterEach, describe, it } from 'vitest';
import { type ControlPlaneClient, createControlPlaneClient } from './controlplane-client.js';

// A scripted control plane: a real gRPC server whose handlers fail the way a replica killed mid-call does
// (UNAVAILABLE), so the client's retry and reconciliation are seen from the wire. The real control plane's
// answers to these calls are tested in apps/controlplane; only the failure timing is scripted here.
type Handler = (call: ServerUnaryCall<unknown, unknown>, reply: sendUnaryData<unknown>) => void;

const unavailable = { code: status.UNAVAILABLE, details: 'replica going away' };
const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;

let server: Server | undefined;
let client: ControlPlaneClient | undefined;
afterEach(() => {
  client?.close();
  server?.forceShutdown();
  server = client = undefined;
});

async function serve(handlers: Record<string, Handler>, attempts?: number): Promise<ControlPlaneClient> {
  server = new Server();
  const notServed: Handler = (_call, reply) => reply({ code: status.UNIMPLEMENTED });
  const handlersOf = (service: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(service).map((name) => [
        name,
        (handlers[name] ?? notServed) as handleUnaryCall<unknown, unknown>,
      ]),
    );
  server.addService(attestationService, handlersOf(attestationService));
  server.addService(organizationService, handlersOf(organizationService));
  const port = await new Promise<number>((resolve, reject) =>
    server?.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = createControlPlaneClient({
    address: `127.0.0.1:${port}`,
    apiToken: `cairn_${'t'.repeat(43)}`,
    ...(attempts === undefined ? {} : { attempts }),
  });
  return client;
}

function material(name: string, digest: string): Material {
  return create(MaterialSchema, { name, digest, size: 3n, kind: MaterialKind.ARTIFACT });
}

const spec = (digest: string) =>
  ({ name: 'sbom', kind: 'ARTIFACT', source: { cas: { digest, uploadToken: 'upload-token' } } }) as const;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof CairnError ? error.code : error),
  );

describe('calls the control plane could not take', () => {
  it('tries a read again until a replica answers', async ({ expect }) => {
    let calls = 0;
    const cp = await serve({
      list: (_call, reply) => {
        calls += 1;
        if (calls < 3) reply(unavailable);
        else reply(null, create(OrganizationServiceListResponseSchema, { organizations: [] }));
      },
    });
    await expect(cp.listOrganizations()).resolves.toEqual([]);
    expect(calls).toBe(3);
  });

  it('gives up after `attempts` tries with the UNAVAILABLE it last got', async ({ expect }) => {
    let calls = 0;
    const cp = await serve(
      {
        getRun: (_call, reply) => {
          calls += 1;
          reply(unavailable);
        },
      },
      3,
    );
    await expect(codeOf(cp.getRun('run-1'))).resolves.toBe(Code.Unavailable);
    expect(calls).toBe(3);
  });

  it('does not repeat creating an organization, which a dead replica may have done', async ({ expect }) => {
    let calls = 0;
    const cp = await serve({
      create: (_call, reply) => {
        calls += 1;
        reply(unavailable);
      },
    });
    await expect(codeOf(cp.createOrganization('acme'))).resolves.toBe(Code.Unavailable);
    expect(calls).toBe(1);
  });

  it('stops retrying when the caller aborts', async ({ expect }) => {
    let calls = 0;
    const abort = new AbortController();
    const cp = await serve({
      getRun: (_call, reply) => {
        calls += 1;
        abort.abort(new Error('job cancelled'));
        reply(unavailable);
      },
    });
    await expect(cp.getRun('run-1', abort.signal)).rejects.toThrow();
    expect(calls).toBe(1);
  });
});

describe('adding a material whose answer was lost', () => {
  /** The first AddMaterial adds it and dies before answering; later ones find the name taken. */
  function addedThenLost(held: Material) {
    const seen: AttestationServiceAddMaterialRequest[] = [];
    let getRuns = 0;
    const handlers: Record<string, Handler> = {
      addMaterial: (call, reply) => {
        seen.push(call.request as AttestationServiceAddMaterialRequest);
        if (seen.length === 1) reply(unavailable);
        else reply({ code: status.ALREADY_EXISTS, details: 'run run-1 has a material named "sbom" already' });
      },
      getRun: (_call, reply) => {
        getRuns += 1;
        reply(null, create(AttestationServiceGetRunResponseSchema, { materials: [held] }));
      },
    };
    return { handlers, seen, getRuns: () => getRuns };
  }

  it('answers with the material the run now holds when it is the one sent', async ({ expect }) => {
    const script = addedThenLost(material('sbom', digestA));
    const cp = await serve(script.handlers);
    const added = await cp.addMaterial('run-1', spec(digestA));
    expect(added.digest).toBe(digestA);
    expect(script.seen).toHaveLength(2);
    expect(script.getRuns()).toBe(1);
  });

  it('keeps the conflict when the run holds another material under the name', async ({ expect }) => {
    const script = addedThenLost(material('sbom', digestB));
    const cp = await serve(script.handlers);
    await expect(codeOf(cp.addMaterial('run-1', spec(digestA)))).resolves.toBe(Code.AlreadyExists);
  });

  it('does not look twice at a conflict no retry could have caused', async ({ expect }) => {
    let getRuns = 0;
    const cp = await serve({
      addMaterial: (_call, reply) => reply({ code: status.ALREADY_EXISTS, details: 'name taken' }),
      getRun: (_call, reply) => {
        getRuns += 1;
        reply(
          null,
          create(AttestationServiceGetRunResponseSchema, { materials: [material('sbom', digestA)] }),
        );
      },
    });
    await expect(codeOf(cp.addMaterial('run-1', spec(digestA)))).resolves.toBe(Code.AlreadyExists);
    expect(getRuns).toBe(0);
  });

  it('answers a first try as sent', async ({ expect }) => {
    const cp = await serve({
      addMaterial: (_call, reply) =>
        reply(
          null,
          create(AttestationServiceAddMaterialResponseSchema, { material: material('sbom', digestA) }),
        ),
    });
    await expect(cp.addMaterial('run-1', spec(digestA))).resolves.toMatchObject({ digest: digestA });
  });
});
