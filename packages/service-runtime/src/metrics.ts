import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A service's Prometheus metrics, in a registry of its own so several services in one process (tests, an
 * embedding process) never collide. Every service has the call metrics below, named
 * `<prefix>_calls_total`, `<prefix>_errors_total`, `<prefix>_call_duration_seconds` and
 * `<prefix>_in_flight_calls`, with bounded labels (transport, method, status code); a service adds its own
 * to `registry`.
 */
export class CallMetrics {
  readonly registry = new Registry();
  readonly calls: Counter<'transport' | 'method' | 'code'>;
  readonly errors: Counter<'transport' | 'code'>;
  readonly durations: Histogram<'transport' | 'method'>;
  readonly inFlight: Gauge<'transport'>;

  /** `prefix`: e.g. `cairn_cas`; Node's process metrics are published under it too. */
  constructor(readonly prefix: string) {
    const registers = [this.registry];
    this.calls = new Counter({
      name: `${prefix}_calls_total`,
      help: 'Finished calls by method and status code.',
      labelNames: ['transport', 'method', 'code'],
      registers,
    });
    this.errors = new Counter({
      name: `${prefix}_errors_total`,
      help: 'Calls that ended in an error, by status code.',
      labelNames: ['transport', 'code'],
      registers,
    });
    this.durations = new Histogram({
      name: `${prefix}_call_duration_seconds`,
      help: 'Call durations.',
      labelNames: ['transport', 'method'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
      registers,
    });
    this.inFlight = new Gauge({
      name: `${prefix}_in_flight_calls`,
      help: 'Calls and streams running now.',
      labelNames: ['transport'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: `${prefix}_` });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
