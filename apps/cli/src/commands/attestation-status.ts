import { materialTable } from '../attestation/print-materials.js';
import { withRunControlPlane } from '../attestation/run-control-plane.js';
import { runs } from '../attestation/runs.js';
import { runReference } from '../attestation/state.js';
import { type CommandContext, flag } from '../context.js';
import { printResult, renderFields } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const reference = await runReference(context);
  const full = flag(context, 'full');
  const { run: current, materials } = await withRunControlPlane(context, reference, (client, signal) =>
    runs(client, signal).get(reference.runId),
  );
  printResult(context, {
    table: () => {
      const fields: Array<readonly [string, string]> = [
        ['RUN', current.id],
        ['WORKFLOW', current.workflow],
        ...(current.project === undefined ? [] : [['PROJECT', current.project] as const]),
        ['STATE', current.state + (current.resetReason ? ` (${current.resetReason})` : '')],
        [
          'BACKEND',
          `${current.backend.name} (${current.backend.provider})${current.fallback ? ', the fallback' : ''}`,
        ],
        ['STARTED', current.createdAt],
        ...(current.finishedAt === undefined ? [] : [['FINISHED', current.finishedAt] as const]),
        ...(current.attestation === undefined ? [] : [['ATTESTATION', current.attestation] as const]),
        ...(full && current.runner
          ? [['RUNNER', [current.runner.type, current.runner.url].filter(Boolean).join(' ')] as const]
          : []),
      ];
      const list =
        materials.length === 0
          ? 'no materials yet: add one with `cairn attestation add`'
          : materialTable(materials, full);
      return `${renderFields(fields)}\n\n${list}`;
    },
    json: { run: current, materials },
  });
}
