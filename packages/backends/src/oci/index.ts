export { OciClient } from './client.js';
export { hasCredentials, type OciCredentials, parseOciCredentials } from './credentials.js';
export { createOciDriver, DEFAULT_CHUNK_SIZE, type OciDriverOptions } from './driver.js';
export { type OciLocation, parseOciLocation } from './location.js';
export { EVIDENCE_ARTIFACT_TYPE, evidenceTag } from './manifest.js';
export { ociProvider } from './provider.js';
