// @cairn/service-runtime: what both Cairn services are built from — configuration, serving state and
// health, reflection, metrics, call interceptors and graceful drain — so the artifact CAS and the control
// plane start, serve, report and stop the same way.
export {
  type Call,
  type CallInterceptor,
  type ContextKey,
  callLogging,
  callMetrics,
  createCall,
  createContextKey,
  errorMapping,
  runIntercepted,
  type Transport,
} from './calls.js';
export * from './config/index.js';
export { type DrainOptions, drainService } from './drain.js';
export { GrpcCalls } from './grpc-calls.js';
export { addOperationalServices, listenGrpc, type RunningGrpcServer } from './grpc-server.js';
export {
  answerOperational,
  listenHttp,
  type OperationalEndpoints,
  type RunningHttpServer,
} from './http-server.js';
export { type CallHandle, InFlight } from './in-flight.js';
export { CallMetrics } from './metrics.js';
export { logProcessWarnings } from './process-warnings.js';
export { type ServingPhase, ServingState } from './serving-state.js';
export { whenIdle } from './when-idle.js';
