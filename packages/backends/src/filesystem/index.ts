export { FilesystemDriver } from './driver.js';
export { flipStoredByte, listLeftovers, listStoredBlobs } from './inspect.js';
export { DIRECTORY_MODE, FILE_MODE, Layout } from './layout.js';
export {
  type FilesystemCredentials,
  type FilesystemProvider,
  filesystemProvider,
  parseFilesystemLocation,
} from './provider.js';
export { DEFAULT_STAGING_MAX_AGE_MS } from './sweep.js';
