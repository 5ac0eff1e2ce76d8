export { DIRECTORY_MODE, FILE_MODE, Layout } from './client.js';
export { type FilesystemCredentials, parseFilesystemCredentials } from './credentials.js';
export { FilesystemDriver } from './driver.js';
export { parseFilesystemLocation } from './location.js';
export { type FilesystemProvider, filesystemProvider } from './provider.js';
