import { detectRunner } from '@cairn/attestation/evidence';
import { runs } from '../attestation/runs.js';
import { stateFile, writeState } from '../attestation/state.js';
import { type CommandContext, flag, optionalString, requiredString } from '../context.js';
import { connectControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult, renderFields } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const workflow = requiredString(context, 'workflow', '--workflow');
  const project = optionalString(context, 'project');
  const remote = flag(context, 'remoteState');
  const runner = detectRunner(context.io.env);
  const connection = await connectControlPlane(context);
  try {
    const started = await connection.run((client) =>
      runs(client, context.io.signal).init({
        workflow,
        ...(project === undefined ? {} : { project }),
        runner: { type: runner.type, ...(runner.url === undefined ? {} : { url: runner.url }) },
      }),
    );
    const path = stateFile(context);
    if (!remote)
      await writeState(path, { version: 1, runId: started.id, controlPlane: connection.settings.address });
    const backend = `${started.backend.name} (${started.backend.provider})`;
    printResult(context, {
      table: () =>
        renderFields([
          ['RUN', started.id],
          ['WORKFLOW', workflow],
          ...(project === undefined ? [] : [['PROJECT', project] as const]),
          ['RUNNER', runner.type],
          [
            'BACKEND',
            started.fallback
              ? `${backend}: the fallback, because the default backend failed its last write check`
              : backend,
          ],
          ['STATE', remote ? `in the control plane: give later steps --attestation-id ${started.id}` : path],
        ]),
      json: {
        runId: started.id,
        workflow,
        ...(project === undefined ? {} : { project }),
        runner,
        backend: {
          name: started.backend.name,
          provider: started.backend.provider,
          fallback: started.fallback,
        },
        state: remote ? 'remote' : path,
      },
    });
  } finally {
    connection.close();
  }
}
