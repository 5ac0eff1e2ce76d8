export { formatDigest, isDigest, isSha256Hex, parseDigest, requireSha256Hex, sha256Hex } from './digest.js';
