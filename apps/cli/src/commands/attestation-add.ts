import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  detectKind,
  MAX_CHECKED_BYTES,
  MaterialContent,
  type MaterialKind,
  parseImageReference,
  parseMaterialKind,
  validateMaterial,
} from '@cairn/attestation/evidence';
import { CairnError, Code } from '@cairn/errors';
import { parseAnnotations } from '../attestation/annotations.js';
import { printMaterials } from '../attestation/print-materials.js';
import { connectRunControlPlane } from '../attestation/run-control-plane.js';
import { type AddMaterialSource, runs } from '../attestation/runs.js';
import { runReference } from '../attestation/state.js';
import { openCas } from '../cas-connection.js';
import { type CommandContext, optionalString, repeated, requiredString } from '../context.js';
import { formatSize } from '../sizes.js';
import { UsageError } from '../usage-error.js';

export async function run(context: CommandContext): Promise<void> {
  const name = requiredString(context, 'name', '--name');
  const value = requiredString(context, 'value', '--value');
  const declared = optionalString(context, 'kind');
  let kind: MaterialKind | undefined;
  if (declared !== undefined) {
    try {
      kind = parseMaterialKind(declared);
    } catch (error) {
      throw new UsageError((error as Error).message, context.command);
    }
  }
  const annotations = parseAnnotations(repeated(context, 'annotation'), context.command);
  const reference = await runReference(context);
  const signal = context.io.signal ?? new AbortController().signal;
  const connection = await connectRunControlPlane(context, reference);
  try {
    const api = (client: Parameters<Parameters<typeof connection.run>[0]>[0]) => runs(client, signal);
    const gettingRun = connection.run((client) => api(client).get(reference.runId));
    // Most materials are files for the CAS: the run's upload token is asked for while the run is read,
    // not after it (a round trip less on every `add`, which a CI job runs once per file; bench:cli). An
    // answer nobody uses (inline backend, text material) is dropped, its error with it.
    let issued: ReturnType<ReturnType<typeof runs>['uploadCredentials']> | undefined;
    if (kind !== 'CONTAINER_IMAGE' && kind !== 'STRING' && (await isFile(resolve(context.io.cwd, value)))) {
      issued = connection.run((client) => api(client).uploadCredentials(reference.runId));
      issued.catch(() => undefined);
    }
    const { run: current } = await gettingRun;
    const source = await materialSource(context, {
      value,
      kind,
      backendProvider: current.backend.provider,
      maxBytes: current.backend.maxBytes,
    });
    let added: Awaited<ReturnType<ReturnType<typeof runs>['addMaterial']>>;
    if ('file' in source) {
      // Evidence files go to the run's backend with an upload token the control plane mints for the run;
      // the same token then vouches for the upload when the material is recorded.
      const credentials = () => {
        issued ??= connection.run((client) => api(client).uploadCredentials(reference.runId));
        return issued;
      };
      const tokenSource = {
        origin: `the control plane at ${connection.settings.address} (run ${reference.runId})`,
        advice: 'rerun the command: it fetches a fresh upload token for the run',
        token: async () => (await credentials()).token,
        casAddress: async () => (await credentials()).casAddress,
      };
      const cas = await openCas(context, { tokenSource, config: undefined }, { role: 'upload' });
      try {
        const uploaded = await cas.uploadFile(source.file, { fileName: source.fileName });
        const token = await credentials();
        added = await connection.run((client) =>
          api(client).addMaterial(reference.runId, {
            name,
            kind: source.kind,
            annotations,
            fileName: source.fileName,
            source: { cas: { digest: uploaded.digest, uploadToken: token.token } },
          }),
        );
      } catch (error) {
        throw cas.explain(error);
      } finally {
        cas.close();
      }
    } else {
      added = await connection.run((client) =>
        api(client).addMaterial(reference.runId, {
          name,
          kind: source.kind,
          annotations,
          ...(source.fileName === undefined ? {} : { fileName: source.fileName }),
          source: source.source,
        }),
      );
    }
    printMaterials(context, [added], false, { material: added });
  } finally {
    connection.close();
  }
}

type Source =
  | { readonly kind: MaterialKind; readonly file: string; readonly fileName: string }
  | { readonly kind: MaterialKind; readonly source: AddMaterialSource; readonly fileName?: string };

/** What to add: a file for the CAS, bytes or text to embed, or an image resolved from its registry. */
async function materialSource(
  context: CommandContext,
  input: { value: string; kind: MaterialKind | undefined; backendProvider: string; maxBytes: number },
): Promise<Source> {
  const { value, kind } = input;
  if (kind === 'CONTAINER_IMAGE') {
    const image = parseImageReference(value);
    // The registry client loads only for images: most materials are files.
    const { resolveImage } = await import('../attestation/image-digest.js');
    const resolved = await resolveImage(
      image,
      context.io.env,
      context.io.signal ?? new AbortController().signal,
    );
    return {
      kind,
      source: { image: { reference: image.reference, digest: resolved.digest, size: resolved.size } },
    };
  }
  const path = resolve(context.io.cwd, value);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    if (kind !== undefined && kind !== 'STRING') {
      throw new CairnError(
        Code.NotFound,
        `${value} is not a file; a ${kind} material is a file (a STRING takes text, a CONTAINER_IMAGE an image reference)`,
        { details: { reason: 'not_a_file' } },
      );
    }
    return { kind: 'STRING', source: { inline: value } };
  }
  if (kind === 'STRING') return { kind, source: { inline: value } };
  const fileName = basename(path);
  // Read only when something looks at the bytes: an ARTIFACT for the CAS is streamed by the upload.
  let head: MaterialContent | undefined;
  const readFileHead = async () => {
    head ??= new MaterialContent(await readHead(path, Math.min(info.size, MAX_CHECKED_BYTES)));
    return head;
  };
  const chosen =
    kind ?? (info.size > MAX_CHECKED_BYTES ? 'ARTIFACT' : detectKind(await readFileHead(), fileName));
  if (chosen !== 'ARTIFACT' && info.size > MAX_CHECKED_BYTES) {
    throw new CairnError(
      Code.ResourceExhausted,
      `${value} is ${formatSize(info.size)}, over the ${formatSize(MAX_CHECKED_BYTES)} Cairn reads to check a ${chosen}; attach it with --kind ARTIFACT`,
      { details: { reason: 'too_large_to_check' } },
    );
  }
  if (chosen !== 'ARTIFACT') validateMaterial(chosen, await readFileHead(), { name: value });
  if (input.backendProvider === 'inline') {
    if (info.size > input.maxBytes) {
      throw new CairnError(
        Code.ResourceExhausted,
        `${value} is ${formatSize(info.size)}, over the ${formatSize(input.maxBytes)} the inline backend embeds in an attestation; keep evidence in your own storage with \`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default\` and start a new run`,
        { details: { reason: 'inline_too_large' } },
      );
    }
    return { kind: chosen, fileName, source: { inline: (await readFileHead()).bytes } };
  }
  return { kind: chosen, file: path, fileName };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** The first `length` bytes of a file: all of it for anything a format check reads (≤ 64 MiB). */
async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
