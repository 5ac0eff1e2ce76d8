/**
 * The settings a `secrets` section of each kind takes in a Cairn config file, the CAS's and the control
 * plane's alike. Each service refuses any other key, so a misspelt setting is reported, not left unused.
 * Key material is never among them: files hold it (`keyFile`, `tokenFile`, `caCertificateFile`).
 */
export const SECRET_STORE_SETTINGS = {
  file: ['kind', 'directory', 'keyFile'],
  vault: [
    'kind',
    'endpoint',
    'tokenFile',
    'mount',
    'prefix',
    'namespace',
    'requestTimeoutMs',
    'caCertificateFile',
  ],
} as const satisfies Record<string, readonly string[]>;
