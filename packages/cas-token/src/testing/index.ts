// `@cairn/cas-token/testing`: helpers for tests of tokens, never production code.
export { type JwksTestServer, startJwksServer } from './jwks-server.js';
export { expectRefusal } from './refusals.js';
export {
  blobDigest,
  downloadGrant,
  otherBlobDigest,
  signRaw,
  unsignedToken,
  uploadGrant,
  validPayload,
} from './tokens.js';
