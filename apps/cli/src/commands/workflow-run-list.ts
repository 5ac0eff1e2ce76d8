import type { RunStateName } from '@cairn/controlplane-client';
import { runs } from '../attestation/runs.js';
import { type CommandContext, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult, renderTable } from '../output.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const workflow = optionalString(context, 'workflow');
  const state = optionalString(context, 'status') as RunStateName | undefined;
  const limitText = optionalString(context, 'limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500) {
    throw new UsageError(`--limit "${limitText}" is not a whole number from 1 to 500`, context.command);
  }
  const listed = await withControlPlane(context, (client, signal) =>
    runs(client, signal).list({
      ...(workflow === undefined ? {} : { workflow }),
      ...(state === undefined ? {} : { state }),
      limit,
    }),
  );
  printResult(context, {
    table: () =>
      renderTable(
        ['ID', 'WORKFLOW', 'PROJECT', 'STATE', 'BACKEND', 'STARTED', 'FINISHED', 'ATTESTATION'],
        listed.map((item) => [
          item.id,
          item.workflow,
          item.project ?? '',
          item.state,
          `${item.backend.name}${item.fallback ? ' (fallback)' : ''}`,
          item.createdAt,
          item.finishedAt ?? '-',
          item.attestation ?? '-',
        ]),
      ),
    json: { runs: listed },
  });
}
