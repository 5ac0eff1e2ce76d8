import { create } from '@bufbuild/protobuf';
import { health } from '@cairn/api';
import {
  status as GrpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';

const ServingStatus = health.HealthCheckResponse_ServingStatus;

/** Whether the control plane takes work; flips to false when shutdown starts. */
export class ServingState {
  #serving = false;
  readonly #listeners = new Set<(serving: boolean) => void>();

  get serving(): boolean {
    return this.#serving;
  }

  set(serving: boolean): void {
    if (serving === this.#serving) return;
    this.#serving = serving;
    for (const listener of this.#listeners) listener(serving);
  }

  onChange(listener: (serving: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** grpc.health.v1.Health over the serving state: "" and every served service share one status. */
export function createHealthService(state: ServingState, serviceNames: readonly string[]) {
  const known = new Set(['', ...serviceNames]);
  const response = () =>
    create(health.HealthCheckResponseSchema, {
      status: state.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING,
    });
  return {
    check(
      call: ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>,
      callback: sendUnaryData<health.HealthCheckResponse>,
    ): void {
      if (!known.has(call.request.service)) {
        callback({
          code: GrpcStatus.NOT_FOUND,
          details: `no service named "${call.request.service}" is served here`,
        });
        return;
      }
      callback(null, response());
    },
    watch(call: ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>): void {
      if (!known.has(call.request.service)) {
        call.write(create(health.HealthCheckResponseSchema, { status: ServingStatus.SERVICE_UNKNOWN }));
        return;
      }
      call.write(response());
      const stop = state.onChange(() => call.write(response()));
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
