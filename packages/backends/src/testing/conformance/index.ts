export {
  describeBody,
  describeGenerated,
  MiB,
  pseudoRandomBytes,
  pseudoRandomChunks,
  pseudoRandomSource,
} from './pseudo-random.js';
export { RssPeak } from './rss-peak.js';
export { describeProviderConformance } from './suite.js';
export type { ConformanceOptions, ConformanceSetup, ConformanceTarget } from './target.js';
