import { parseDigest } from '@cairn/cas-client';
import { type CommandContext, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult } from '../output.js';
import { isoTime } from '../times.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const role = optionalString(context, 'role') === 'download' ? 'download' : 'upload';
  const digest = optionalString(context, 'digest');
  if (role === 'download' && digest === undefined) {
    throw new UsageError('a download token is for one blob: add --digest sha256:<hex>', context.command);
  }
  if (role === 'upload' && digest !== undefined) {
    throw new UsageError('--digest binds download tokens only; add --role download', context.command);
  }
  if (digest !== undefined) {
    try {
      parseDigest(digest);
    } catch (error) {
      throw new UsageError((error as Error).message, context.command);
    }
  }
  const issued = await withControlPlane(context, (client, signal) => client.casToken(role, digest, signal));
  printResult(context, {
    table: issued.token,
    json: {
      token: issued.token,
      role,
      ...(digest === undefined ? {} : { digest }),
      expiresAt: isoTime(issued.expiresAt),
      casAddress: issued.casGrpcAddress,
      ...(issued.backend === undefined ? {} : { backend: issued.backend.name }),
    },
  });
}
