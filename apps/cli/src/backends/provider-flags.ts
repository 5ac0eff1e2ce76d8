import type { Command } from 'commander';

// Which flags each provider takes, and which credential field each fills. Definitions only: the
// command tree loads this on every run, and reading values (files, stdin) happens in credential-input.

export const PROVIDERS = ['oci', 'aws-s3', 'azure-blob', 'filesystem'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** A flag carrying a credential field: a plain value, a switch, or a secret read from file/stdin/env. */
export type CredentialFlag =
  | {
      readonly kind: 'value';
      readonly flag: string;
      readonly field: string;
      readonly env?: string;
      readonly help: string;
    }
  | { readonly kind: 'switch'; readonly flag: string; readonly field: string; readonly help: string }
  | {
      readonly kind: 'secret';
      readonly flag: string;
      readonly field: string;
      readonly env: string;
      readonly help: string;
    };

export interface ProviderFlags {
  readonly summary: string;
  readonly description: string;
  /** The flag naming where blobs go (the backend's location). */
  readonly location: { readonly flag: string; readonly value: string; readonly help: string };
  readonly credentials: readonly CredentialFlag[];
  /** Adds the provider's flags: all of them for `add`, only the credential ones for `update`. */
  define(command: Command, mode: 'add' | 'update'): void;
}

const endpoint = (field: string): CredentialFlag => ({
  kind: 'value',
  flag: 'endpoint',
  field,
  help: 'the service URL: an S3-compatible server, or an Azure blob endpoint other than the public one',
});

function provider(spec: Omit<ProviderFlags, 'define'>): ProviderFlags {
  return {
    ...spec,
    define(command, mode) {
      if (mode === 'add') {
        command.requiredOption(`--${spec.location.flag} <${spec.location.value}>`, spec.location.help);
        if (spec.credentials.length > 0) {
          command.option(
            '--credentials-file <file>',
            `a JSON object of credential fields (${spec.credentials.map((flag) => flag.field).join(', ')}), instead of the flags`,
          );
        }
      } else if (!command.options.some((option) => option.long === '--credentials-file')) {
        command.option(
          '--credentials-file <file>',
          'a JSON object of credential fields to merge over the stored ones',
        );
      }
      for (const credential of spec.credentials) {
        // `update` takes every provider's flags on one command; a flag two providers share is added once.
        if (
          command.options.some(
            (option) => option.long === `--${credential.flag}` || option.long === `--${credential.flag}-file`,
          )
        )
          continue;
        const env =
          mode === 'add' && credential.kind !== 'switch' && credential.env
            ? ` (default: $${credential.env})`
            : '';
        if (credential.kind === 'secret') {
          command.option(`--${credential.flag}-file <file>`, `read the ${credential.help} from FILE${env}`);
          command.option(`--${credential.flag}-stdin`, `read the ${credential.help} from standard input`);
        } else if (credential.kind === 'switch') {
          command.option(`--${credential.flag}`, credential.help);
        } else {
          command.option(`--${credential.flag} <value>`, `${credential.help}${env}`);
        }
      }
    },
  };
}

export const providerFlags: Readonly<Record<Provider, ProviderFlags>> = {
  oci: provider({
    summary: 'an OCI registry repository (each blob an OCI artifact)',
    description:
      'Stores each blob as an OCI artifact in one repository of a registry (Docker Hub, GHCR, ECR, ' +
      'ACR, Harbor, distribution). Without --username, the registry is used anonymously.',
    location: {
      flag: 'repo',
      value: 'registry/repository',
      help: 'the repository, e.g. ghcr.io/acme/evidence',
    },
    credentials: [
      { kind: 'value', flag: 'username', field: 'username', help: 'registry user name' },
      {
        kind: 'secret',
        flag: 'password',
        field: 'password',
        env: 'CAIRN_OCI_PASSWORD',
        help: 'registry password or access token',
      },
    ],
  }),
  'aws-s3': provider({
    summary: 'an S3 bucket, or a bucket of an S3-compatible server',
    description:
      'Stores blobs as objects of an S3 bucket (under an optional prefix), on AWS or any S3-compatible ' +
      'server (--endpoint). The access key needs s3:PutObject, GetObject, DeleteObject, ListBucket and ' +
      'AbortMultipartUpload on the bucket.',
    location: {
      flag: 'bucket',
      value: 'bucket[/prefix]',
      help: 'the bucket, and optionally a prefix inside it',
    },
    credentials: [
      {
        kind: 'value',
        flag: 'region',
        field: 'region',
        env: 'AWS_REGION',
        help: 'the bucket’s region, e.g. eu-west-1',
      },
      endpoint('endpoint'),
      {
        kind: 'switch',
        flag: 'force-path-style',
        field: 'forcePathStyle',
        help: 'address the bucket in the path (most S3-compatible servers)',
      },
      {
        kind: 'value',
        flag: 'access-key-id',
        field: 'accessKeyId',
        env: 'AWS_ACCESS_KEY_ID',
        help: 'the access key id',
      },
      {
        kind: 'secret',
        flag: 'secret-access-key',
        field: 'secretAccessKey',
        env: 'AWS_SECRET_ACCESS_KEY',
        help: 'secret access key',
      },
    ],
  }),
  'azure-blob': provider({
    summary: 'a container of an Azure Storage account',
    description:
      'Stores blobs in a container (under an optional prefix) of an Azure Storage account, with a ' +
      'service principal (--tenant-id, --client-id and its secret; grant it "Storage Blob Data ' +
      'Contributor" on the container) or the account key.',
    location: {
      flag: 'container',
      value: 'container[/prefix]',
      help: 'the container, and optionally a prefix inside it',
    },
    credentials: [
      { kind: 'value', flag: 'storage-account', field: 'accountName', help: 'the storage account name' },
      endpoint('endpoint'),
      {
        kind: 'value',
        flag: 'tenant-id',
        field: 'tenantId',
        env: 'AZURE_TENANT_ID',
        help: 'the Entra tenant of the service principal',
      },
      {
        kind: 'value',
        flag: 'client-id',
        field: 'clientId',
        env: 'AZURE_CLIENT_ID',
        help: 'the service principal’s client (application) id',
      },
      {
        kind: 'secret',
        flag: 'client-secret',
        field: 'clientSecret',
        env: 'AZURE_CLIENT_SECRET',
        help: 'service principal’s client secret',
      },
      {
        kind: 'secret',
        flag: 'account-key',
        field: 'accountKey',
        env: 'AZURE_STORAGE_KEY',
        help: 'storage account key (instead of a service principal)',
      },
    ],
  }),
  filesystem: provider({
    summary: 'a directory the CAS can write',
    description:
      'Stores blobs in a directory on the CAS’s host (every replica must see the same directory). The ' +
      'directory must exist and lie under one of the CAS’s backends.filesystemRoots.',
    location: { flag: 'path', value: 'dir', help: 'the directory, an absolute path on the CAS’s host' },
    credentials: [],
  }),
};
