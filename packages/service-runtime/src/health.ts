import { create } from '@bufbuild/protobuf';
import { health } from '@cairn/api';
import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { ServingState } from './serving-state.js';

const ServingStatus = health.HealthCheckResponse_ServingStatus;

/**
 * grpc.health.v1.Health. The empty service name and every served service share one status: SERVING while
 * the service takes work, NOT_SERVING from the start of a drain. Unknown names are NOT_FOUND for Check and
 * SERVICE_UNKNOWN for Watch, as the health protocol asks; every Watch ends when the service stops.
 *
 * Hand-written rather than the `grpc-health-check` package: that one keeps Watch streams open until the
 * server is torn down, so a graceful drain waits its whole grace period on them (the control plane's
 * shutdown did, before both services used this), and it loads @grpc/proto-loader and protobufjs beside
 * the protobuf-es descriptors every other service here uses.
 */
export function createHealthService(state: ServingState, serviceNames: readonly string[]) {
  const known = new Set(['', ...serviceNames]);
  const statusOf = (service: string) => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return state.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const response = (status: health.HealthCheckResponse_ServingStatus) =>
    create(health.HealthCheckResponseSchema, { status });

  return {
    check(
      call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>,
      callback: sendUnaryData<health.HealthCheckResponse>,
    ): void {
      const { service } = call.request;
      if (!known.has(service)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: `no service named "${service}" is served here` });
        return;
      }
      callback(null, response(statusOf(service)));
    },

    watch(call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>): void {
      const { service } = call.request;
      let last = statusOf(service);
      call.write(response(last));
      const stop = state.onChange((phase) => {
        const next = statusOf(service);
        if (next !== last) {
          last = next;
          call.write(response(next));
        }
        // A stopped server ends its watches; clients reconnect to another replica.
        if (phase === 'stopped') {
          stop();
          call.end();
        }
      });
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
