import type { CommandContext } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult, renderTable } from '../output.js';
import { isoTime } from '../times.js';

export async function run(context: CommandContext): Promise<void> {
  const organizations = await withControlPlane(
    context,
    (client, signal) => client.listOrganizations(signal),
    'admin',
  );
  const views = organizations.map((org) => ({
    id: org.id,
    name: org.name,
    createdAt: isoTime(org.createdAt),
  }));
  printResult(context, {
    table: () =>
      renderTable(
        ['NAME', 'ID', 'CREATED'],
        views.map((org) => [org.name, org.id, org.createdAt ?? '-']),
      ),
    json: { organizations: views },
  });
}
