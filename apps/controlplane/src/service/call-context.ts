import type { Caller, Principal } from '../biz/index.js';

/** What every service method gets besides its request: who calls, and a signal that ends with the call. */
export interface CallContext {
  readonly principal: Principal;
  readonly signal: AbortSignal;
}

/** The context of a service that serves admin tokens too (organisations, API tokens). */
export interface CallerContext {
  readonly caller: Caller;
  readonly signal: AbortSignal;
}
