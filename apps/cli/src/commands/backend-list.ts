import { backendTable, backendView } from '../backends/backend-view.js';
import { type Command, controlPlaneOptions, helpOption, jsonOption } from '../command.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult } from '../output.js';

export const backendList: Command = {
  path: ['backend', 'list'],
  summary: "list the organisation's CAS backends and their validation status",
  synopsis: 'backend list [options]',
  description:
    'Shows every live CAS backend of the organisation the API token belongs to: its provider, whether it\n' +
    'is the default or the fallback, and the result of its last write check. Uploads go to the default\n' +
    'while it is valid, else to the fallback.',
  options: { ...controlPlaneOptions, ...jsonOption, ...helpOption },
  async run(context) {
    const backends = await withControlPlane(context, (client, signal) => client.listBackends(signal));
    const views = backends.map(backendView);
    printResult(context, backendTable(views), { backends: views });
  },
};
