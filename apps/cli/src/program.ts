import { MATERIAL_KINDS } from '@cairn/attestation/kinds';
import { Command, Option } from 'commander';
import { PROVIDERS, providerFlags } from './backends/provider-flags.js';
import type { CommandContext } from './context.js';

// The whole command tree, and nothing else: this module and commander are all `cairn --help` and
// `cairn --version` load. Each command's work lives in its own module, imported when it runs.

/** A command's implementation, loaded on use. */
export type CommandModule = { run(context: CommandContext): Promise<void> };
export type Loader = () => Promise<CommandModule>;
/** Runs a chosen command; given by the caller so the tree itself stays free of I/O. */
export type Runner = (load: Loader, command: Command) => Promise<void>;

export function buildProgram(runner: Runner, version: string): Command {
  const program = new Command('cairn')
    .description(
      'Cairn keeps the evidence of software supply-chain attestations in storage you already run. ' +
        'Settings come from flags, then CAIRN_* environment variables, then .cairn/cli.json in this ' +
        'folder or a parent (written by `npm start`). See docs/cli.md for every command.',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--debug', 'on failure, print the error with its causes and stack')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .showSuggestionAfterError(true);

  const leaf = (parent: Command, name: string, summary: string, load: Loader) =>
    parent
      .command(name)
      .summary(summary)
      .helpOption('-h, --help', 'show help')
      .action(async (...params: unknown[]) => runner(load, params.at(-1) as Command));

  // --- artifacts ---
  const artifact = group(program, 'artifact', 'upload and download blobs by digest');
  withFormat(
    withCas(
      leaf(
        artifact,
        'upload',
        'upload a file to the CAS and print its digest',
        () => import('./commands/artifact-upload.js'),
      )
        .description(
          'Hashes FILE, skips the upload when the CAS already holds it, otherwise streams it (resuming ' +
            'after a dropped connection) and prints its digest, sha256:<hex>. With a control plane it ' +
            "goes to the organisation's default backend (else the valid fallback) and is recorded, so " +
            'downloads find it later.',
        )
        .requiredOption('-f, --file <file>', 'the file to upload')
        .option('--name <name>', "file name recorded with the blob (default: FILE's name)")
        .option('--media-type <type>', 'media type recorded with the blob, e.g. application/json'),
    ),
  );
  withCas(
    leaf(
      artifact,
      'download',
      'download a blob by digest, verified before it is kept',
      () => import('./commands/artifact-download.js'),
    )
      .description(
        'Streams the blob, hashes every byte and keeps it only when the hash matches: a file is ' +
          'written beside PATH and renamed into place after the check, then PATH is printed. With ' +
          '--output - the bytes go to stdout and a mismatch exits 3; a reader that stops early (| head) ' +
          'ends it quietly. Without --output the blob is saved here under its recorded file name, ' +
          'never over an existing file.',
      )
      .requiredOption('-d, --digest <sha256:hex>', 'digest of the blob')
      .addOption(fileOutput('file or folder to save to, or - for stdout'))
      .option('--json', 'print the result as JSON (same as --output json)'),
  );

  // --- attestations ---
  const attestation = group(
    program,
    'attestation',
    'attest a build: start a run, add its evidence, push a signed statement, verify it later',
  );
  withFormat(
    withRun(
      leaf(
        attestation,
        'init',
        'start a run and print its id and the backend chosen',
        () => import('./commands/attestation-init.js'),
      )
        .description(
          "Starts a workflow run on the control plane. Its evidence goes to the organisation's default backend, or to the fallback while the default fails its write check (said so here and recorded in the attestation). The run's id is kept in the state file (--state, default ./.cairn-attestation.json) for the next steps; with --remote-state nothing is written here and later steps, on any machine, name the run with --attestation-id.",
        )
        .requiredOption('--workflow <name>', 'the workflow this run attests, e.g. build')
        .option('--project <name>', 'the project it belongs to, e.g. acme/api')
        .option(
          '--remote-state',
          'keep the state only in the control plane (later steps take --attestation-id)',
        ),
      'init',
    ),
  );
  withFormat(
    withRun(
      leaf(
        attestation,
        'add',
        'add a piece of evidence to the run',
        () => import('./commands/attestation-add.js'),
      )
        .description(
          "Adds a material: a file (uploaded to the run's backend, or embedded when the run's backend is the inline one), a string, or a container image (its digest is read from its registry; nothing is uploaded). Without --kind the kind is detected from the content; a file that is not valid for its kind is refused with the reason.",
        )
        .requiredOption('--name <name>', 'the material’s name in the attestation, unique in the run')
        .requiredOption(
          '--value <file|string|image>',
          'a file, a string, or an image reference (with --kind CONTAINER_IMAGE)',
        )
        .addOption(new Option('--kind <kind>', 'what it is (default: detected)').choices([...MATERIAL_KINDS]))
        .option('--annotation <key=value>', 'a note kept with the material (repeatable)', collect),
    ),
  );
  withFormat(
    withRun(
      leaf(
        attestation,
        'status',
        'show the run and its materials',
        () => import('./commands/attestation-status.js'),
      ).option('--full', 'show whole digests, annotations and the CI runner'),
    ),
  );
  withRun(
    leaf(
      attestation,
      'push',
      'sign the statement, store it, and print its digest',
      () => import('./commands/attestation-push.js'),
    )
      .description(
        "Builds an in-toto Statement v1 naming every material by digest (its subject: the artifacts and images the build produced), signs it as a DSSE envelope with the key (ECDSA P-256 or Ed25519 PEM; an encrypted key takes its passphrase from $CAIRN_SIGNING_KEY_PASSPHRASE), packs it as a Sigstore bundle v0.3, stores it, ends the run as succeeded and prints the bundle's sha256:<hex>.",
      )
      .requiredOption('--key <file>', 'the private key (`cairn keys generate` makes a pair)')
      .option('--annotation <key=value>', 'a note kept in the statement (repeatable)', collect)
      .addOption(fileOutput('also write the bundle to this file'))
      .option('--json', 'print the result as JSON (same as --output json)'),
  );
  withFormat(
    withRun(
      leaf(
        attestation,
        'reset',
        'end the run as failed or cancelled',
        () => import('./commands/attestation-reset.js'),
      )
        .addOption(
          new Option('--trigger <trigger>', 'why it ended')
            .choices(['failure', 'cancellation'])
            .default('failure'),
        )
        .option('--reason <text>', 'a note kept with the run'),
    ),
  );
  withControlPlane(
    leaf(attestation, 'get', 'write an attestation bundle', () => import('./commands/attestation-get.js'))
      .description('Writes the stored bundle, byte for byte, to stdout or to --output FILE.')
      .option('-d, --digest <sha256:hex>', 'the bundle’s digest')
      .option('--run <id>', 'the run that pushed it')
      .addOption(fileOutput('the file to write (default: stdout)'))
      .option('--json', 'print the digest and the bundle as one JSON document'),
  );
  withFormat(
    withCas(
      leaf(
        attestation,
        'verify',
        'check the signature and every material of an attestation',
        () => import('./commands/attestation-verify.js'),
      )
        .description(
          'Checks the bundle’s signature with the public key, the statement’s type, then every material: downloaded from the CAS (or taken from the attestation when inline, or from its registry for an image) and hashed. Prints a row per material; exits 3 when anything does not match, 4 when a material could not be fetched.',
        )
        .option('-d, --digest <sha256:hex>', 'the attestation to fetch from the control plane')
        .option('--bundle <file>', 'a bundle file instead')
        .requiredOption('--key <file>', 'the public key it must be signed with'),
    ),
  );
  const keys = group(program, 'keys', 'signing keys for attestations');
  leaf(
    keys,
    'generate',
    'write a P-256 key pair (private key 0600)',
    () => import('./commands/keys-generate.js'),
  )
    .description(
      'Writes PREFIX.key (the private key, PKCS#8 PEM, mode 0600; encrypted when $CAIRN_SIGNING_KEY_PASSPHRASE is set) and PREFIX.pub (the public key, for `cairn attestation verify`).',
    )
    .addOption(fileOutput('PREFIX of the files (default: cairn)'))
    .option('--force', 'replace existing files')
    .option('--json', 'print the result as JSON (same as --output json)');
  const workflow = group(program, 'workflow', 'workflows and their runs');
  const workflowRun = group(workflow, 'run', 'the runs of workflows');
  withFormat(
    withControlPlane(
      leaf(workflowRun, 'list', 'list runs, newest first', () => import('./commands/workflow-run-list.js'))
        .option('--workflow <name>', 'only runs of this workflow')
        .addOption(
          new Option('--status <state>', 'only runs in this state').choices([
            'initialized',
            'succeeded',
            'failed',
            'cancelled',
            'expired',
          ]),
        )
        .option('--limit <n>', 'at most this many', '50'),
    ),
  );

  // --- CAS backends ---
  const backends = group(program, 'cas-backend', "manage the organisation's CAS backends").alias('backend');
  withControlPlane(
    withFormat(
      leaf(
        backends,
        'list',
        'list the CAS backends and their validation status',
        () => import('./commands/cas-backend-list.js'),
      )
        .description(
          'Shows every live CAS backend of the organisation: where it stores, its size limit, whether ' +
            'it is the default or the fallback, and the result of its last write check. Uploads go to ' +
            'the default while it is valid, else to the fallback.',
        )
        .option('--full', 'add when each backend was last validated and why a check failed'),
    ),
  );
  const add = backends
    .command('add')
    .summary('add a CAS backend after the CAS proved it can write there')
    .description(
      'Creates a CAS backend. The CAS first writes, reads back and removes a probe with the given ' +
        "credentials; only then are they saved, to the control plane's secret store (never its " +
        'database). Secrets are read from a file, standard input or the environment, never from ' +
        'the command line. See docs/backends.md for what to create in each cloud.',
    )
    .helpOption('-h, --help', 'show help');
  for (const provider of PROVIDERS) {
    const command = leaf(
      add,
      provider,
      providerFlags[provider].summary,
      () => import('./commands/cas-backend-add.js'),
    ).description(providerFlags[provider].description);
    providerFlags[provider].define(command, 'add');
    command
      .requiredOption('--name <name>', 'DNS-style name, unique in the organisation')
      .option('--description <text>', 'a note for people')
      .addOption(
        new Option('--default', 'make it the default backend (uploads go here)').conflicts('fallback'),
      )
      .option('--fallback', 'make it the fallback (used while the default is invalid)')
      .option('--max-bytes <size>', 'largest blob it accepts, e.g. 100MB or 5GiB', '1GiB');
    withFormat(withControlPlane(command));
  }
  const update = leaf(
    backends,
    'update',
    'change a backend: description, role, limit, credentials',
    () => import('./commands/cas-backend-update.js'),
  )
    .description(
      'Changes what is given and keeps the rest. New credentials are merged over the stored ones (give ' +
        'only what rotates), proven by a write check through the CAS, and replace the old ones only ' +
        "when the check passed. Credential flags are those of the backend's provider (see `cairn " +
        'cas-backend add <provider> --help`).',
    )
    .argument('<name>', 'the backend (see `cairn cas-backend list`)')
    .option('--description <text>', 'a new note for people')
    .addOption(new Option('--default', 'make it the default backend').conflicts('fallback'))
    .option('--fallback', 'make it the fallback')
    .option('--max-bytes <size>', 'largest blob it accepts, e.g. 100MB or 5GiB');
  for (const provider of PROVIDERS) providerFlags[provider].define(update, 'update');
  withFormat(withControlPlane(update));
  withFormat(
    withControlPlane(
      leaf(
        backends,
        'delete',
        'delete a backend; blobs it holds stay readable',
        () => import('./commands/cas-backend-delete.js'),
      )
        .description(
          'Soft-deletes the backend: no new blob goes there, and blobs already recorded on it are still ' +
            'downloaded from it. Deleting the default makes the fallback (else the inline backend) the ' +
            'default. Asks first unless --yes is given; without a terminal, --yes is required.',
        )
        .argument('<name>', 'the backend (see `cairn cas-backend list`)')
        .option('-y, --yes', 'do not ask for confirmation'),
    ),
  );
  withFormat(
    withControlPlane(
      leaf(
        backends,
        'revalidate',
        'run the write check now and show the result',
        () => import('./commands/cas-backend-revalidate.js'),
      )
        .description(
          'Asks the CAS to write, read back and remove a probe on the backend with its stored ' +
            'credentials, records the outcome, and exits 1 with the reason when the check failed.',
        )
        .argument('<name>', 'the backend (see `cairn cas-backend list`)'),
    ),
  );

  // --- organisations and API tokens ---
  const org = group(program, 'org', 'organisations (an admin token manages them)');
  withFormat(
    withControlPlane(
      leaf(
        org,
        'create',
        'create an organisation and print its first API token (shown once)',
        () => import('./commands/org-create.js'),
      )
        .description(
          'Creates an organisation with its inline backend as the default, and a first API token of it, ' +
            'printed once. Needs an admin token: `npm start` writes one into .cairn/cli.json, and on a ' +
            'deployment `controlplane bootstrap --admin` prints one.',
        )
        .argument('<name>', 'DNS-style name of the organisation'),
    ),
  );
  withFormat(
    withControlPlane(
      leaf(
        org,
        'list',
        'list organisations (an org token sees its own)',
        () => import('./commands/org-list.js'),
      ).description('An admin token lists every organisation; an organisation token, its own.'),
    ),
  );
  const token = group(program, 'token', "the organisation's API tokens");
  withFormat(
    withControlPlane(
      withOrg(
        leaf(
          token,
          'create',
          'create an API token (printed once)',
          () => import('./commands/token-create.js'),
        )
          .description(
            'Creates an API token and prints it once: the control plane keeps only its hash. Give it to ' +
              'a person or a CI job as CAIRN_API_TOKEN.',
          )
          .requiredOption('--name <name>', 'what the token is for, e.g. ci-release')
          .option('--robot', 'a token for a CI job rather than a person')
          .option('--expires <duration>', 'lifetime: 12h, 90d (default: until revoked)'),
      ),
    ),
  );
  withFormat(
    withControlPlane(
      withOrg(
        leaf(
          token,
          'list',
          'list API tokens (never their secrets)',
          () => import('./commands/token-list.js'),
        ),
      ),
    ),
  );
  withFormat(
    withControlPlane(
      withOrg(
        leaf(
          token,
          'revoke',
          'revoke an API token (at once on the control plane that serves the call, within milliseconds on other replicas sharing its PostgreSQL)',
          () => import('./commands/token-revoke.js'),
        ).argument('<id>', 'the token (see `cairn token list`)'),
      ),
    ),
  );

  // --- CAS tokens ---
  const casToken = group(program, 'cas-token', 'short-lived tokens for the CAS (for curl and other tools)');
  withFormat(
    withControlPlane(
      leaf(
        casToken,
        'create',
        'print a CAS token from the control plane',
        () => import('./commands/cas-token-create.js'),
      )
        .description(
          'Asks the control plane for a CAS token (5 minutes by default) and prints it, e.g. for ' +
            '`curl -H "Authorization: Bearer $(cairn cas-token create)" -T file …/v1/blobs/sha256:<hex>`. ' +
            'Upload tokens go to the default backend (else the valid fallback); a download token is ' +
            'bound to one digest and its recorded backend.',
        )
        .addOption(
          new Option('--role <role>', 'what the token allows')
            .choices(['upload', 'download'])
            .default('upload'),
        )
        .option('--digest <sha256:hex>', 'the blob a download token is for'),
    ),
  );
  const dev = group(program, 'dev', 'local development helpers');
  withFormat(
    leaf(
      dev,
      'token',
      'mint a CAS token with the local development key',
      () => import('./commands/dev-token.js'),
    )
      .description(
        'Signs a CAS token with the development key that `npm start` keeps under .cairn/, for the ' +
          "embedded default's organisation and backend, and prints it. For local use only. The CLI " +
          'mints such tokens itself when neither a token nor a control plane is configured.',
      )
      .addOption(
        new Option('--role <role>', 'what the token allows')
          .choices(['upload', 'download'])
          .default('upload'),
      )
      .option('--digest <sha256:hex>', 'bind a download token to this one blob')
      .option('--ttl <duration>', 'lifetime: 90s, 5m, 1h', '5m'),
  );

  return program;
}

function group(parent: Command, name: string, summary: string): Command {
  return parent.command(name).summary(summary).description(summary).helpOption('-h, --help', 'show help');
}

/** `--output table|json` and `--json`, for a command that prints data. */
function withFormat(command: Command): Command {
  return command
    .addOption(
      new Option('-o, --output <format>', 'how to print the result')
        .choices(['table', 'json'])
        .default('table'),
    )
    .option('--json', 'same as --output json');
}

/**
 * `--output` for a command whose product is a file: a path (or `-`), or `table`/`json` for how the
 * result is printed (`./json` is a file of that name).
 */
function fileOutput(what: string): Option {
  return new Option('-o, --output <path>', `${what}; or table|json for how the result is printed`);
}

function withControlPlane(command: Command): Command {
  return command.option(
    '--controlplane-address <host:port>',
    'the control plane (default: $CAIRN_CONTROLPLANE_ADDRESS, .cairn/cli.json, 127.0.0.1:9000); its API token comes from $CAIRN_API_TOKEN or .cairn/cli.json',
  );
}

function withCas(command: Command): Command {
  return withControlPlane(command)
    .option(
      '--cas-address <host:port>',
      'the CAS (default: $CAIRN_CAS_ADDRESS, the one the control plane names, 127.0.0.1:9001)',
    )
    .option(
      '--cas-token <token>',
      'a CAS token to use (default: $CAIRN_CAS_TOKEN, else one from the control plane, else one minted with the development key of .cairn/cli.json)',
    );
}

/** Which run a step acts on: the state file `init` wrote, or --attestation-id for remote state. */
function withRun(command: Command, step?: 'init'): Command {
  command.option(
    '--state <file>',
    'the state file of the run (default: $CAIRN_ATTESTATION_STATE, ./.cairn-attestation.json)',
  );
  if (step !== 'init') {
    command.option(
      '--attestation-id <id>',
      'the run, when its state is in the control plane (default: $CAIRN_ATTESTATION_ID)',
    );
  }
  return withControlPlane(command);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function withOrg(command: Command): Command {
  return command.option('--org <name>', 'the organisation (admin tokens only; default: the token’s own)');
}

/** The words that select `command` below the program, e.g. `cas-backend add oci`. */
export function pathOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) {
    names.unshift(current.name());
  }
  return names.join(' ');
}

/** `command` and every command below it. */
export function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}
