import type { CommandContext } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult, renderFields } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const [name = ''] = context.args;
  const created = await withControlPlane(
    context,
    (client, signal) => client.createOrganization(name, {}, signal),
    'admin',
  );
  const organization = { id: created.organization?.id ?? '', name: created.organization?.name ?? name };
  printResult(context, {
    table: () =>
      `${renderFields([
        ['ORGANIZATION', organization.name],
        ['ID', organization.id],
        ['API TOKEN', created.secret],
      ])}\n\nThe API token is shown only once: keep it (e.g. as CAIRN_API_TOKEN).`,
    json: { organization, apiToken: created.secret },
  });
}
