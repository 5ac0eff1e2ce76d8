import { EventEmitter } from 'node:events';

export type ServingPhase = 'starting' | 'serving' | 'draining' | 'stopped';

/**
 * Whether a service takes new work. Both transports read it: `/readyz` and grpc.health.v1 report
 * "serving" only in the `serving` phase, so a load balancer stops sending traffic as soon as a drain
 * starts, and health watches end when the service has stopped.
 */
export class ServingState {
  readonly #events = new EventEmitter();
  #phase: ServingPhase = 'starting';

  get phase(): ServingPhase {
    return this.#phase;
  }

  get serving(): boolean {
    return this.#phase === 'serving';
  }

  set(phase: ServingPhase): void {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#events.emit('change', phase);
  }

  /** Calls `listener` on every change until the returned function is called. */
  onChange(listener: (phase: ServingPhase) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }
}
