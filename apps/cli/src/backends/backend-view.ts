import type { CASBackend } from '@cairn/api';
import { ValidationStatus } from '@cairn/api';

/** A CAS backend as the CLI shows it: the table's rows and the `--json` objects. */
export interface BackendView {
  readonly name: string;
  readonly provider: string;
  readonly location: string;
  readonly description: string;
  readonly default: boolean;
  readonly fallback: boolean;
  readonly inline: boolean;
  readonly validation: {
    readonly status: 'ok' | 'failed' | 'pending' | 'unknown';
    readonly error?: string;
    readonly at?: string;
  };
  /** 0: no limit of the backend's own. */
  readonly maxBytes: number;
}

const statusNames = {
  [ValidationStatus.OK]: 'ok',
  [ValidationStatus.FAILED]: 'failed',
  [ValidationStatus.PENDING]: 'pending',
  [ValidationStatus.UNSPECIFIED]: 'unknown',
} as const;

/** The fields of a CASBackend message the CLI shows (a plain object with them will do). */
export type BackendMessage = Pick<
  CASBackend,
  | 'name'
  | 'provider'
  | 'location'
  | 'description'
  | 'isDefault'
  | 'isFallback'
  | 'inline'
  | 'validationStatus'
  | 'validationError'
  | 'maxBytes'
> & { readonly validatedAt?: { readonly seconds: bigint } | undefined };

export function backendView(backend: BackendMessage): BackendView {
  const at = backend.validatedAt;
  return {
    name: backend.name,
    provider: backend.provider,
    location: backend.location,
    description: backend.description,
    default: backend.isDefault,
    fallback: backend.isFallback,
    inline: backend.inline,
    validation: {
      status: statusNames[backend.validationStatus],
      ...(backend.validationError === '' ? {} : { error: backend.validationError }),
      ...(at === undefined
        ? {}
        : { at: new Date(Number(at.seconds) * 1000).toISOString().replace('.000Z', 'Z') }),
    },
    maxBytes: Number(backend.maxBytes),
  };
}

/**
 * Aligned columns for people: NAME PROVIDER ROLE STATUS VALIDATED LOCATION, the default first, then
 * the fallback, then by name; each failed validation's reason follows the table on a line of its own.
 */
export function backendTable(backends: readonly BackendView[]): string {
  const sorted = [...backends].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const rows = [
    ['NAME', 'PROVIDER', 'ROLE', 'STATUS', 'VALIDATED', 'LOCATION'],
    ...sorted.map((backend) => [
      backend.name,
      backend.provider,
      backend.default ? 'default' : backend.fallback ? 'fallback' : '-',
      backend.validation.status,
      backend.validation.at ?? '-',
      backend.inline ? '(in the attestation)' : backend.location,
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  '),
  );
  const failures = sorted.flatMap((backend) =>
    backend.validation.status === 'failed'
      ? [`${backend.name}: validation failed: ${backend.validation.error ?? 'no reason recorded'}`]
      : [],
  );
  return [...lines, ...(failures.length === 0 ? [] : ['', ...failures])].join('\n');
}

function rank(backend: BackendView): number {
  return backend.default ? 0 : backend.fallback ? 1 : 2;
}
