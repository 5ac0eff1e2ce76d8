export { startTestCas, type TestCas } from './cas-server.js';
export { startTamperingCas, type TamperingCas } from './tampering-cas.js';
export { startTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp-proxy.js';
