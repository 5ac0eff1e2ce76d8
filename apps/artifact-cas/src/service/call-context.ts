import type { CasClaims } from '@cairn/cas-token';

/**
 * What the transport gives a service method: the call's cancellation, its metadata, and a way to check
 * the caller's token once the method knows what the call needs (a role, maybe a digest).
 */
export interface CallContext {
  readonly signal: AbortSignal;
  /** First value of a request metadata key (gRPC metadata or HTTP header), lower-case key. */
  metadata(key: string): string | undefined;
  authorize(need: AccessRequirement): Promise<CasClaims>;
  /** Blob bytes that crossed the wire, for logs and metrics. */
  received(bytes: number): void;
  sent(bytes: number): void;
  /** Safe fields for the call's log line. */
  note(fields: Record<string, unknown>): void;
}

/**
 * What a request needs its token to allow. `any` is for read-only facts (Describe, FindMissing): an
 * upload token, or a download token (which, when bound to a blob, must be bound to `digest`).
 */
export type AccessRequirement =
  | { readonly role: 'upload' }
  | { readonly role: 'download'; readonly digest: string }
  | { readonly role: 'any'; readonly digest?: string };
