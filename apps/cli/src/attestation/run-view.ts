import type { MaterialLocation, PredicateMaterial } from '@cairn/attestation/evidence';

// The run and its materials as the CLI works with them, whatever the wire messages look like.

export type RunState = 'initialized' | 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'unknown';

export interface RunBackendView {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  /** The largest material it accepts. */
  readonly maxBytes: number;
}

export interface RunView {
  readonly id: string;
  readonly workflow: string;
  readonly project?: string;
  readonly state: RunState;
  readonly backend: RunBackendView;
  /** The organisation's default was not valid at init, so its fallback was chosen. */
  readonly fallback: boolean;
  readonly runner?: { readonly type: string; readonly url?: string };
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly resetReason?: string;
  /** `sha256:<hex>` of the attestation bundle once pushed. */
  readonly attestation?: string;
}

/** A material as the statement names it (what push signs and status shows). */
export type MaterialView = PredicateMaterial;

/** Where a material is, in a word or two for tables: the backend's name, `inline`, or the image's registry. */
export function storedWhere(location: MaterialLocation): string {
  if ('backend' in location) return `${location.backend.name} (${location.backend.provider})`;
  if ('inline' in location) return 'inline';
  return location.image.reference.split('/')[0] ?? 'registry';
}
