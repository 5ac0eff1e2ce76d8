import { CallMetrics } from '@cairn/service-runtime';
import { Counter, Gauge } from 'prom-client';

/**
 * The CAS's Prometheus metrics: the call metrics every service has (`cairn_cas_calls_total`, …) and the
 * bytes it moves and the uploads it holds open.
 */
export class CasMetrics extends CallMetrics {
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

  /** `openUploads` is read at scrape time: uploads held open, running or waiting to be resumed. */
  constructor(openUploads: () => number) {
    super('cairn_cas');
    new Gauge({
      name: 'cairn_cas_upload_sessions',
      help: 'Uploads held open, running or waiting to be resumed.',
      registers: [this.registry],
      collect() {
        this.set(openUploads());
      },
    });
  }
}
