import { backendTable, backendView } from '../backends/backend-view.js';
import { type CommandContext, flag } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const backends = await withControlPlane(context, (client, signal) => client.listBackends(signal));
  const views = backends.map(backendView);
  printResult(context, {
    table: () => backendTable(views, flag(context, 'full')),
    json: { backends: views },
  });
}
