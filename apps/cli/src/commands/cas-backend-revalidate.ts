import { ValidationStatus } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { printBackend } from '../backends/print-backend.js';
import type { CommandContext } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';

export async function run(context: CommandContext): Promise<void> {
  const [name = ''] = context.args;
  const backend = await withControlPlane(context, (client, signal) => client.revalidateBackend(name, signal));
  printBackend(context, backend);
  if (backend.validationStatus === ValidationStatus.FAILED) {
    throw new CairnError(
      Code.FailedPrecondition,
      `backend "${name}" failed its write check: ${backend.validationError}; fix the storage or rotate its credentials with \`cairn cas-backend update ${name}\``,
    );
  }
}
