import { type CASBackend, ValidationStatus } from '@cairn/api';
import { renderTable } from '../output.js';
import { formatSize } from '../sizes.js';

/** A CAS backend as the CLI shows it: the table's rows and the JSON objects. */
export interface BackendView {
  readonly name: string;
  readonly provider: string;
  readonly location: string;
  readonly description: string;
  readonly default: boolean;
  readonly fallback: boolean;
  readonly inline: boolean;
  /** The largest blob it accepts. */
  readonly maxBytes: number;
  readonly validation: {
    readonly status: 'ok' | 'failed' | 'pending' | 'unknown';
    readonly error?: string;
    readonly at?: string;
  };
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
    maxBytes: Number(backend.maxBytes),
    validation: {
      status: statusNames[backend.validationStatus],
      ...(backend.validationError === '' ? {} : { error: backend.validationError }),
      ...(at === undefined
        ? {}
        : { at: new Date(Number(at.seconds) * 1000).toISOString().replace('.000Z', 'Z') }),
    },
  };
}

/**
 * NAME LOCATION PROVIDER DESCRIPTION LIMITS DEFAULT FALLBACK STATUS, the default first, then the
 * fallback, then by name; `full` adds when each was validated and why a check failed.
 */
export function backendTable(backends: readonly BackendView[], full = false): string {
  const sorted = [...backends].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const head = ['NAME', 'LOCATION', 'PROVIDER', 'DESCRIPTION', 'LIMITS', 'DEFAULT', 'FALLBACK', 'STATUS'];
  const rows = sorted.map((backend) => [
    backend.name,
    backend.inline ? '(inside the attestation)' : backend.location,
    backend.provider,
    backend.description,
    `max ${formatSize(backend.maxBytes)}`,
    backend.default ? 'yes' : 'no',
    backend.fallback ? 'yes' : 'no',
    backend.validation.status,
    ...(full ? [backend.validation.at ?? '-', backend.validation.error ?? ''] : []),
  ]);
  const table = renderTable(full ? [...head, 'VALIDATED AT', 'VALIDATION ERROR'] : head, rows);
  if (full) return table;
  const failed = sorted.filter((backend) => backend.validation.status === 'failed');
  if (failed.length === 0) return table;
  const names = failed.map((backend) => backend.name).join(', ');
  return `${table}\n\nvalidation failed for ${names}: see why with \`cairn cas-backend list --full\``;
}

function rank(backend: BackendView): number {
  return backend.default ? 0 : backend.fallback ? 1 : 2;
}
