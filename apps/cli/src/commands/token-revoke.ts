import { type CommandContext, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult } from '../output.js';

export async function run(context: CommandContext): Promise<void> {
  const [id = ''] = context.args;
  const organization = optionalString(context, 'org');
  await withControlPlane(
    context,
    (client, signal) => client.revokeApiToken(id, organization === undefined ? {} : { organization }, signal),
    organization === undefined ? 'organization' : 'admin',
  );
  printResult(context, { table: `revoked API token ${id}`, json: { revoked: id } });
}
