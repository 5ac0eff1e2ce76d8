import { APITokenKind } from '@cairn/api';
import { type CommandContext, optionalString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { printResult, renderTable } from '../output.js';
import { isoTime } from '../times.js';

const kinds: Record<APITokenKind, string> = {
  [APITokenKind.API_TOKEN_KIND_UNSPECIFIED]: 'unknown',
  [APITokenKind.API_TOKEN_KIND_USER]: 'user',
  [APITokenKind.API_TOKEN_KIND_ROBOT]: 'robot',
  [APITokenKind.API_TOKEN_KIND_ADMIN]: 'admin',
};

export async function run(context: CommandContext): Promise<void> {
  const organization = optionalString(context, 'org');
  const tokens = await withControlPlane(
    context,
    (client, signal) => client.listApiTokens(organization === undefined ? {} : { organization }, signal),
    organization === undefined ? 'organization' : 'admin',
  );
  const views = tokens.map((token) => ({
    id: token.id,
    name: token.name,
    kind: kinds[token.kind],
    createdAt: isoTime(token.createdAt),
    expiresAt: isoTime(token.expiresAt),
    revokedAt: isoTime(token.revokedAt),
    lastUsedAt: isoTime(token.lastUsedAt),
  }));
  printResult(context, {
    table: () =>
      renderTable(
        ['ID', 'NAME', 'KIND', 'CREATED', 'EXPIRES', 'REVOKED', 'LAST USED'],
        views.map((token) => [
          token.id,
          token.name,
          token.kind,
          token.createdAt ?? '-',
          token.expiresAt ?? 'never',
          token.revokedAt ?? '-',
          token.lastUsedAt ?? '-',
        ]),
      ),
    json: { tokens: views },
  });
}
