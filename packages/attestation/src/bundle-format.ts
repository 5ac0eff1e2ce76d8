/** `mediaType` of the bundles Cairn writes: Sigstore bundle v0.3. */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** `payloadType` of the DSSE envelope: an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
