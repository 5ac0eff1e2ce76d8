import { createHash } from 'node:crypto';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type AttestationServiceGetRunResponse, MaterialKind } from '@cairn/api';
import {
  buildStatement,
  type MaterialInput,
  type RunnerType,
  type SigningKey,
  signStatement,
} from '@cairn/attestation';

/**
 * The signed bundle `cairn attestation push --remote-state` makes for a run: its statement built from
 * GetRun alone, signed with `key`. Only inline materials are handled (the crash tests add STRING ones).
 */
export async function bundleOf(
  response: AttestationServiceGetRunResponse,
  key: SigningKey,
): Promise<Uint8Array> {
  const { run, materials } = response;
  if (!run?.backend || !run.createdAt) throw new Error('GetRun sent no run');
  const statement = buildStatement({
    run: {
      id: run.id,
      workflow: run.workflow,
      ...(run.project === '' ? {} : { project: run.project }),
      runner: { type: (run.runner?.type || 'local') as RunnerType },
      startedAt: timestampDate(run.createdAt),
      finishedAt: new Date(),
      backend: { id: run.backend.id, name: run.backend.name, provider: run.backend.provider },
      fallback: run.backend.isFallback,
    },
    materials: materials.map((material): MaterialInput => {
      if (material.location.case !== 'inlineContent') throw new Error('only inline materials are handled');
      return {
        name: material.name,
        kind: MaterialKind[material.kind] as MaterialInput['kind'],
        digest: material.digest,
        size: Number(material.size),
        annotations: material.annotations,
        location: { inline: Buffer.from(material.location.value).toString('utf8') },
      };
    }),
  });
  return new TextEncoder().encode((await signStatement(statement, key)).json);
}

/** `sha256:<hex>` of a bundle's bytes: its identity. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
