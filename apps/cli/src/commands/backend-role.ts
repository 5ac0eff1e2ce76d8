import { namedBackendOptions, printBackend } from '../backends/backend-command.js';
import type { Command } from '../command.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { requiredString } from '../option-values.js';

/** `backend set-default` and `backend set-fallback`: one backend takes the role, the previous holder loses it. */
function setRole(role: 'default' | 'fallback'): Command {
  const command = `backend set-${role}`;
  return {
    path: ['backend', `set-${role}`],
    summary:
      role === 'default'
        ? 'make a backend the default, where uploads go'
        : 'make a backend the fallback, used while the default is invalid',
    synopsis: `${command} --name NAME [options]`,
    description:
      `Makes NAME the organisation's ${role} backend; the one that was ${role} before stops being it in\n` +
      'the same transaction. A backend is never both default and fallback.',
    options: namedBackendOptions,
    async run(context) {
      const name = requiredString(context.options, 'name', command);
      const backend = await withControlPlane(context, (client, signal) =>
        client.updateBackend(name, role === 'default' ? { isDefault: true } : { isFallback: true }, signal),
      );
      printBackend(context, backend);
    },
  };
}

export const backendSetDefault = setRole('default');
export const backendSetFallback = setRole('fallback');
