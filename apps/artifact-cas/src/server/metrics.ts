import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type Transport = 'grpc' | 'http';

/**
 * The CAS's Prometheus metrics, in a registry of its own so several CAS instances in one process (tests,
 * an embedding control plane) never collide. Labels are bounded: transport, method and status code.
 */
export class CasMetrics {
  readonly registry = new Registry();
  readonly bytesReceived = new Counter({
    name: 'cairn_cas_received_bytes_total',
    help: 'Blob bytes received from clients.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'cairn_cas_sent_bytes_total',
    help: 'Blob bytes sent to clients.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly calls = new Counter({
    name: 'cairn_cas_calls_total',
    help: 'Finished calls by method and status code.',
    labelNames: ['transport', 'method', 'code'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'cairn_cas_errors_total',
    help: 'Calls that ended in an error, by status code.',
    labelNames: ['transport', 'code'] as const,
    registers: [this.registry],
  });
  readonly durations = new Histogram({
    name: 'cairn_cas_call_duration_seconds',
    help: 'Call durations.',
    labelNames: ['transport', 'method'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'cairn_cas_in_flight_calls',
    help: 'Calls and streams running now.',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });

  /** `openUploads` is read at scrape time: uploads held open, running or waiting to be resumed. */
  constructor(openUploads: () => number) {
    new Gauge({
      name: 'cairn_cas_upload_sessions',
      help: 'Uploads held open, running or waiting to be resumed.',
      registers: [this.registry],
      collect() {
        this.set(openUploads());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'cairn_cas_' });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
