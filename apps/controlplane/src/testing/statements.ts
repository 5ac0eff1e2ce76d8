import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type AttestationServiceGetRunResponse, MaterialKind } from '@cairn/api';
import {
  buildStatement,
  generateKeyPair,
  loadPrivateKey,
  type MaterialInput,
  type RunnerType,
  type SigningKey,
  type Statement,
  signStatement,
} from '@cairn/attestation';
import type { Attestations, Principal, RecordedMaterial, RunDetails } from '../biz/index.js';

/** A P-256 signing key, made and loaded as the CLI would load `--key FILE`. */
export async function testSigningKey(): Promise<SigningKey> {
  const pair = await generateKeyPair();
  return loadPrivateKey(pair.privateKeyPem, { name: 'key.pem' });
}

/** A material as the statement lists it, from what GetRun returns (the CLI's `--remote-state` path). */
export function materialInput(material: RecordedMaterial): MaterialInput {
  const { location } = material;
  return {
    name: material.name,
    kind: material.kind,
    digest: material.digest,
    size: material.size,
    ...(material.fileName === null ? {} : { fileName: material.fileName }),
    annotations: material.annotations,
    location:
      'backend' in location
        ? {
            backend: {
              id: location.backend.id,
              name: location.backend.name,
              provider: location.backend.provider,
            },
          }
        : 'inline' in location
          ? {
              inline:
                material.kind === 'STRING'
                  ? Buffer.from(location.inline).toString('utf8')
                  : Buffer.from(location.inline).toString('base64'),
            }
          : { image: { reference: location.image } },
  };
}

/**
 * The statement of a run built from the control plane alone, as `cairn attestation push` builds it;
 * `change` edits the input first (another run id, a material left out, …).
 */
export function statementOf(
  details: RunDetails,
  change: (input: Parameters<typeof buildStatement>[0]) => Parameters<typeof buildStatement>[0] = (x) => x,
): Statement {
  const { run, backend } = details;
  return buildStatement(
    change({
      run: {
        id: run.id,
        workflow: run.workflow,
        ...(run.project === '' ? {} : { project: run.project }),
        runner: {
          type: (run.runnerType ?? 'local') as RunnerType,
          ...(run.runnerUrl === null ? {} : { url: run.runnerUrl }),
        },
        startedAt: run.createdAt,
        finishedAt: new Date(),
        backend: { id: backend.id, name: backend.name, provider: backend.provider },
        fallback: run.backendIsFallback,
      },
      materials: details.materials.map(materialInput),
      annotations: { pipeline: 'test' },
    }),
  );
}

/** The signed bundle's bytes, exactly as the CLI sends them to Store. */
export async function signedBundle(statement: Statement, key: SigningKey): Promise<Uint8Array> {
  const signed = await signStatement(statement, key);
  return new TextEncoder().encode(signed.json);
}

let sharedKey: Promise<SigningKey> | undefined;

/**
 * What `cairn attestation push` sends for a run: its statement built from GetRun, signed (ECDSA signatures
 * are randomised, so each call makes another bundle of the same statement).
 */
export async function pushBundle(
  attestations: Attestations,
  principal: Principal,
  runId: string,
  change?: Parameters<typeof statementOf>[1],
): Promise<Uint8Array> {
  sharedKey ??= testSigningKey();
  const details = await attestations.getRun(principal, runId);
  return signedBundle(statementOf(details, change), await sharedKey);
}

/** Starts a run with one material (a run needs one to be attested), as `init` then `add` would. */
export async function readyRun(
  attestations: Attestations,
  principal: Principal,
  input: { workflow?: string; project?: string } = {},
): Promise<RunDetails> {
  const { run } = await attestations.init(principal, {
    workflow: input.workflow ?? 'build',
    project: input.project ?? 'acme/api',
  });
  await attestations.addMaterial(
    principal,
    run.id,
    {
      name: 'version',
      kind: 'STRING',
      annotations: {},
      fileName: '',
      source: { inline: { content: new TextEncoder().encode('1.2.0') } },
    },
    AbortSignal.timeout(60_000),
  );
  return attestations.getRun(principal, run.id);
}

/** A bundle's JSON edited (its signature no longer verifies; the control plane does not verify it). */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into the bundle's JSON freely to break it.
export function editBundle(bundle: Uint8Array, edit: (json: Record<string, any>) => void): Uint8Array {
  const json = JSON.parse(new TextDecoder().decode(bundle));
  edit(json);
  return new TextEncoder().encode(JSON.stringify(json));
}

/** A bundle whose envelope carries `statement` (any JSON) instead of what was signed. */
export function withStatement(bundle: Uint8Array, statement: unknown): Uint8Array {
  return editBundle(bundle, (json) => {
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  });
}

/**
 * The statement a later step on another machine builds from GetRun alone (`--remote-state`): everything
 * comes from the wire messages.
 */
export function statementFromGetRun(response: AttestationServiceGetRunResponse): Statement {
  const { run, materials } = response;
  if (!run?.backend || !run.createdAt) throw new Error('GetRun sent no run');
  return buildStatement({
    run: {
      id: run.id,
      workflow: run.workflow,
      ...(run.project === '' ? {} : { project: run.project }),
      runner: {
        type: (run.runner?.type || 'local') as RunnerType,
        ...(run.runner?.url ? { url: run.runner.url } : {}),
      },
      startedAt: timestampDate(run.createdAt),
      finishedAt: new Date(),
      backend: { id: run.backend.id, name: run.backend.name, provider: run.backend.provider },
      fallback: run.backend.isFallback,
    },
    materials: materials.map((material): MaterialInput => {
      const kind = MaterialKind[material.kind] as MaterialInput['kind'];
      const { location } = material;
      return {
        name: material.name,
        kind,
        digest: material.digest,
        size: Number(material.size),
        ...(material.fileName === '' ? {} : { fileName: material.fileName }),
        annotations: material.annotations,
        location:
          location.case === 'backend'
            ? {
                backend: {
                  id: location.value.id,
                  name: location.value.name,
                  provider: location.value.provider,
                },
              }
            : location.case === 'inlineContent'
              ? {
                  inline:
                    kind === 'STRING'
                      ? Buffer.from(location.value).toString('utf8')
                      : Buffer.from(location.value).toString('base64'),
                }
              : { image: { reference: location.value ?? '' } },
      };
    }),
  });
}
