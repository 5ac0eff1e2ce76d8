import { resolve } from 'node:path';
import {
  buildStatement,
  DEFAULT_PASSPHRASE_VARIABLE,
  detectRunner,
  loadPrivateKey,
  signStatement,
} from '@cairn/attestation';
import { CairnError, Code } from '@cairn/errors';
import { writeFileAtomically } from '../atomic-file.js';
import { parseAnnotations } from '../attestation/annotations.js';
import { withRunControlPlane } from '../attestation/run-control-plane.js';
import { runs } from '../attestation/runs.js';
import { removeState, runReference } from '../attestation/state.js';
import { type CommandContext, repeated, requiredString } from '../context.js';
import { readInputFile } from '../input-file.js';
import { printResult } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const keyFile = requiredString(context, 'key', '--key');
  const annotations = parseAnnotations(repeated(context, 'annotation'), context.command);
  const key = loadPrivateKey(
    await readInputFile(context, keyFile, '--key', '`cairn keys generate` makes a pair'),
    {
      name: keyFile,
      passphraseVariable: DEFAULT_PASSPHRASE_VARIABLE,
      ...(context.io.env[DEFAULT_PASSPHRASE_VARIABLE]
        ? { passphrase: context.io.env[DEFAULT_PASSPHRASE_VARIABLE] }
        : {}),
    },
  );
  const reference = await runReference(context);
  const stored = await withRunControlPlane(context, reference, async (client, signal) => {
    const api = runs(client, signal);
    const { run: current, materials } = await api.get(reference.runId);
    if (current.state !== 'initialized') {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${current.id} is ${current.state}${current.attestation ? ` (attestation ${current.attestation})` : ''}; start a new one with \`cairn attestation init\``,
        { details: { reason: 'run_not_initialized' } },
      );
    }
    if (materials.length === 0) {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${current.id} has no materials; add evidence with \`cairn attestation add\` first`,
        {
          details: { reason: 'no_materials' },
        },
      );
    }
    const statement = buildStatement({
      run: {
        id: current.id,
        workflow: current.workflow,
        ...(current.project === undefined ? {} : { project: current.project }),
        runner: detectRunner(context.io.env),
        startedAt: current.createdAt,
        finishedAt: new Date(),
        backend: { id: current.backend.id, name: current.backend.name, provider: current.backend.provider },
        fallback: current.fallback,
      },
      materials,
      annotations,
    });
    const signed = await signStatement(statement, key);
    const result = await api.store(current.id, Buffer.from(signed.json, 'utf8'));
    return { ...result, json: signed.json, statement };
  });
  if (context.outputPath !== undefined) {
    await writeFileAtomically(resolve(context.io.cwd, context.outputPath), stored.json);
  }
  await removeState(reference);
  printResult(context, {
    table: stored.digest,
    json: {
      digest: stored.digest,
      runId: reference.runId,
      subjects: stored.statement.subject,
      materials: stored.statement.predicate.materials.length,
      ...(context.outputPath === undefined ? {} : { bundle: context.outputPath }),
    },
  });
}
