import { withRunControlPlane } from '../attestation/run-control-plane.js';
import { runs } from '../attestation/runs.js';
import { removeState, runReference } from '../attestation/state.js';
import { type CommandContext, optionalString } from '../context.js';
import { printResult } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const trigger = optionalString(context, 'trigger') === 'cancellation' ? 'cancellation' : 'failure';
  const reason = optionalString(context, 'reason');
  const reference = await runReference(context);
  const ended = await withRunControlPlane(context, reference, (client, signal) =>
    runs(client, signal).reset(reference.runId, trigger, reason),
  );
  await removeState(reference);
  printResult(context, {
    table: `run ${ended.id} is ${ended.state}${reason === undefined ? '' : ` (${reason})`}`,
    json: { run: ended },
  });
}
