import { ValidationStatus } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { namedBackendOptions, printBackend } from '../backends/backend-command.js';
import type { Command } from '../command.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { requiredString } from '../option-values.js';

const command = 'backend revalidate';

export const backendRevalidate: Command = {
  path: ['backend', 'revalidate'],
  summary: 'check a backend’s write access now and record the result',
  synopsis: `${command} --name NAME [options]`,
  description:
    'Runs the write check the control plane otherwise runs on its schedule and records the result. Exits\n' +
    '1, with the reason, when the check fails: uploads skip a backend that failed its last check.',
  options: namedBackendOptions,
  async run(context) {
    const name = requiredString(context.options, 'name', command);
    const backend = await withControlPlane(context, (client, signal) =>
      client.revalidateBackend(name, signal),
    );
    if (backend.validationStatus === ValidationStatus.FAILED) {
      throw new CairnError(
        Code.FailedPrecondition,
        `backend "${name}" failed its write check: ${backend.validationError || 'no reason recorded'}; fix its location or credentials, then run \`cairn ${command} --name ${name}\` again`,
      );
    }
    printBackend(context, backend);
  },
};
