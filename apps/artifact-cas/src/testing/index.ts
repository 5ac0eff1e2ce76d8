// `@cairn/artifact-cas/testing`: a real CAS in the test's process, one that serves altered bytes, and a TCP
// proxy that can cut connections — for the tests of this app and of its clients (cas-client, the CLI).
export { startTestCas, type TestCas } from './cas-server.js';
export { GrpcTestClient, type WriteMessage } from './grpc-test-client.js';
export { startTamperingCas, type TamperingCas } from './tampering-cas.js';
export { startTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp-proxy.js';
