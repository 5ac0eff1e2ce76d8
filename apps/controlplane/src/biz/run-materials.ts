import {
  inlineMaterial,
  isMaterialKind,
  MATERIAL_KINDS,
  type MaterialKind,
  type PredicateMaterial,
  parseImageReference,
  validateMaterial,
} from '@cairn/attestation';
import { parseDigest } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import {
  type CasBackend,
  type DataStore,
  isUniqueViolation,
  type NewRunMaterial,
  type Repositories,
  type RunMaterial,
  type WorkflowRun,
} from '../data/index.js';
import { backendById } from './backend-by-id.js';
import type { BlobMapping } from './blob-mapping.js';
import type { Principal } from './principal.js';
import { checkName, notInitialized, type WorkflowRuns } from './workflow-runs.js';

/** The most bytes of a STRING material: a value (a tag, a version, a URL), not a file. */
export const STRING_MAX_BYTES = 64 * 1024;
/**
 * What a run's attestation keeps for itself besides its materials: the run (runner, times, backend), the
 * annotations given at push and the DSSE envelope around the statement (signature, key hint).
 */
export const STATEMENT_RESERVE_BYTES = 16 * 1024;
export const ANNOTATION_LIMITS = { entries: 64, keyLength: 128, valueLength: 4096 } as const;
const FILE_NAME_LIMIT = 1024;
const ADD_ADVICE = 'cairn attestation add --name NAME --value FILE';
const CAS_BACKEND_ADVICE = '`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`';

/** Where a material's bytes come from. */
export type MaterialSourceInput =
  | { readonly cas: { readonly digest: string; readonly uploadToken: string } }
  | { readonly inline: { readonly content: Uint8Array } }
  | { readonly image: { readonly reference: string; readonly digest: string; readonly size: number } };

export interface AddMaterialInput {
  readonly name: string;
  /** A kind of @cairn/attestation's MATERIAL_KINDS ('' when the caller gave none). */
  readonly kind: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** '' for none. */
  readonly fileName: string;
  readonly source: MaterialSourceInput | undefined;
}

/** Where a recorded material's bytes are, resolved for callers. */
export type RecordedLocation =
  | { readonly backend: CasBackend }
  | { readonly inline: Uint8Array }
  | { readonly image: string };

/** A material of a run with everything its attestation's statement lists. */
export interface RecordedMaterial {
  readonly name: string;
  readonly kind: MaterialKind;
  readonly digest: string;
  readonly size: number;
  readonly fileName: string | null;
  readonly annotations: Readonly<Record<string, string>>;
  readonly location: RecordedLocation;
  readonly createdAt: Date;
}

/**
 * The largest bundle a run may store: the configured cap, and for a CAS backend (which stores the bundle
 * as a blob) that backend's max bytes. On the inline backend, max bytes caps each material instead.
 */
export function bundleCapOf(backend: CasBackend, maxBundleBytes: number): number {
  return backend.provider === 'inline' ? maxBundleBytes : Math.min(maxBundleBytes, backend.maxBytes);
}

/**
 * What the materials of a run may take of its statement: the DSSE envelope carries the statement as
 * base64 (4 bytes for every 3), and the rest of the statement and the envelope keep a reserve.
 */
export function statementBudgetOf(bundleCap: number): number {
  return Math.max(0, Math.floor((bundleCap * 3) / 4) - STATEMENT_RESERVE_BYTES);
}

/** Records materials on runs, checking each source and the caps. */
export class RunMaterials {
  constructor(
    private readonly store: DataStore,
    private readonly runs: WorkflowRuns,
    private readonly mapping: BlobMapping,
    private readonly logger: Logger,
    private readonly maxBundleBytes: number,
  ) {}

  async add(
    principal: Principal,
    runId: string,
    input: AddMaterialInput,
    signal: AbortSignal,
  ): Promise<RecordedMaterial> {
    const orgId = principal.orgId;
    const run = await this.runs.open(orgId, runId);
    const backend = await backendById(this.store, orgId, run.backendId);
    const name = checkName(input.name, 'the material name');
    const kind = checkKind(input.kind);
    const annotations = checkAnnotations(input.annotations);
    const fileName = checkFileName(input.fileName);
    if (input.source === undefined) {
      throw new CairnError(
        Code.InvalidArgument,
        `material ${JSON.stringify(name)} has no source: send its upload (cas), its content (inline) or its image`,
        { details: { reason: 'invalid_material' } },
      );
    }
    // Checked now so a clash is refused before the CAS is asked; the unique index decides races.
    if (await this.store.runMaterials.exists(orgId, run.id, name)) throw nameTaken(run, name);

    const common = { name, kind, annotations, fileName };
    const source = input.source;
    const material =
      'cas' in source
        ? await this.#fromCas(principal, run, backend, common, source.cas, signal)
        : 'inline' in source
          ? this.#fromInline(run, backend, common, source.inline.content)
          : fromImage(run, common, source.image);

    const budget = statementBudgetOf(bundleCapOf(backend, this.maxBundleBytes));
    const recorded = await this.store
      .transaction(async (tx) => {
        // The run's row is locked, so concurrent adds and a push see each other's outcome.
        const locked = await tx.workflowRuns.lock(orgId, run.id);
        if (locked?.state !== 'initialized') throw notInitialized(locked ?? run);
        const used = await tx.runMaterials.statementBytes(orgId, run.id);
        if (used + material.statementBytes > budget) {
          throw attestationFull(run, backend, name, material, used, budget, this.maxBundleBytes);
        }
        return tx.runMaterials.insert(material);
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error, 'run_materials_run_name')) throw nameTaken(run, name);
        throw error;
      });
    this.logger.info('material added', {
      org: orgId,
      run: run.id,
      material: name,
      kind,
      source: material.source,
      digest: material.digest,
      size: material.size,
    });
    return toRecorded(recorded, backend);
  }

  async #fromCas(
    principal: Principal,
    run: WorkflowRun,
    runBackend: CasBackend,
    common: Common,
    cas: { digest: string; uploadToken: string },
    signal: AbortSignal,
  ): Promise<NewRunMaterial> {
    if (common.kind === 'STRING' || common.kind === 'CONTAINER_IMAGE') throw wrongSource(common);
    if (runBackend.provider === 'inline') {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${run.id} keeps its evidence inline (backend "${runBackend.name}"), so material ${JSON.stringify(common.name)} must be sent inline (at most ${runBackend.maxBytes} bytes); to keep evidence in storage instead, add a CAS backend as the default (${CAS_BACKEND_ADVICE}) and start a new run with \`cairn attestation init\``,
        { details: { reason: 'inline_backend' } },
      );
    }
    parseDigest(cas.digest);
    if (cas.uploadToken === '') {
      throw new CairnError(
        Code.InvalidArgument,
        `send the upload token material ${JSON.stringify(common.name)} was uploaded with (\`${ADD_ADVICE}\` does)`,
        { details: { reason: 'invalid_material' } },
      );
    }
    const landed = await this.mapping.recordClientUpload(principal, cas.digest, cas.uploadToken, signal);
    if (landed.backend.id !== run.backendId) {
      throw new CairnError(
        Code.FailedPrecondition,
        `material ${JSON.stringify(common.name)} was uploaded to backend "${landed.backend.name}", but run ${run.id} keeps its evidence on "${runBackend.name}"; upload it with the run's token (\`${ADD_ADVICE}\` fetches it)`,
        { details: { reason: 'wrong_backend' } },
      );
    }
    const predicate: PredicateMaterial = {
      ...predicateCommon(common),
      digest: cas.digest,
      size: landed.size,
      location: { backend: { id: runBackend.id, name: runBackend.name, provider: runBackend.provider } },
    };
    return {
      ...recordCommon(principal.orgId, run, common, predicate),
      source: 'cas',
      backendId: runBackend.id,
      content: null,
      imageReference: null,
    };
  }

  #fromInline(run: WorkflowRun, backend: CasBackend, common: Common, content: Uint8Array): NewRunMaterial {
    const what = `material ${JSON.stringify(common.name)}`;
    if (common.kind === 'CONTAINER_IMAGE') throw wrongSource(common);
    const inlineBackend = backend.provider === 'inline';
    if (common.kind === 'STRING') {
      if (content.byteLength > STRING_MAX_BYTES) {
        throw tooLarge(
          `${what} is a STRING of ${content.byteLength} bytes, more than the ${STRING_MAX_BYTES} a STRING may have; ` +
            (inlineBackend
              ? `put it in a file and attach it as evidence, which needs a CAS backend as the default: ${CAS_BACKEND_ADVICE}`
              : `put it in a file and attach that with another kind (\`${ADD_ADVICE} --kind EVIDENCE\`)`),
          content.byteLength,
          STRING_MAX_BYTES,
        );
      }
    } else if (!inlineBackend) {
      throw new CairnError(
        Code.FailedPrecondition,
        `${what} is ${common.kind}: run ${run.id} keeps its evidence on backend "${backend.name}", where only STRING materials are inline; upload it to that backend (\`${ADD_ADVICE}\` does)`,
        { details: { reason: 'inline_not_allowed' } },
      );
    } else if (content.byteLength > backend.maxBytes) {
      throw tooLarge(
        `${what} has ${content.byteLength} bytes, more than the ${backend.maxBytes} the inline backend "${backend.name}" embeds in an attestation; ` +
          `add a CAS backend as the default (${CAS_BACKEND_ADVICE}) and start a new run with \`cairn attestation init\``,
        content.byteLength,
        backend.maxBytes,
      );
    }
    // STRING content must be UTF-8 text; the other kinds must be what they claim (an SBOM, SARIF, …).
    validateMaterial(common.kind, content, { name: what });
    const predicate = inlineMaterial({
      name: common.name,
      kind: common.kind,
      content: common.kind === 'STRING' ? Buffer.from(content).toString('utf8') : content,
      ...(common.fileName === null ? {} : { fileName: common.fileName }),
      annotations: common.annotations,
    });
    return {
      ...recordCommon(run.orgId, run, common, predicate),
      source: 'inline',
      backendId: null,
      content,
      imageReference: null,
    };
  }
}

/**
 * The materials of a run in the order added, with the backends that hold them resolved; `known` is a
 * backend the caller read already (the run's), so it is not read again.
 */
export async function recordedMaterials(
  store: Repositories,
  orgId: string,
  runId: string,
  known?: CasBackend,
): Promise<RecordedMaterial[]> {
  const materials = await store.runMaterials.list(orgId, runId);
  const backends = new Map<string, CasBackend>(known ? [[known.id, known]] : []);
  const result: RecordedMaterial[] = [];
  for (const material of materials) {
    let backend: CasBackend | undefined;
    if (material.backendId !== null) {
      backend = backends.get(material.backendId);
      if (!backend) {
        backend = await backendById(store, orgId, material.backendId);
        backends.set(backend.id, backend);
      }
    }
    result.push(toRecorded(material, backend));
  }
  return result;
}

interface Common {
  readonly name: string;
  readonly kind: MaterialKind;
  readonly annotations: Readonly<Record<string, string>>;
  readonly fileName: string | null;
}

function fromImage(
  run: WorkflowRun,
  common: Common,
  image: { reference: string; digest: string; size: number },
): NewRunMaterial {
  if (common.kind !== 'CONTAINER_IMAGE') throw wrongSource(common);
  const what = `material ${JSON.stringify(common.name)}`;
  const reference = parseImageReference(image.reference);
  if (!/^sha256:[0-9a-f]{64}$/.test(image.digest)) {
    throw new CairnError(
      Code.InvalidArgument,
      `the image digest of ${what} must be sha256:<64 lower-case hex>, the manifest digest its registry reports (\`cairn attestation add --kind CONTAINER_IMAGE\` resolves it)`,
      { details: { reason: 'invalid_material' } },
    );
  }
  if (reference.digest !== undefined && reference.digest !== image.digest) {
    throw new CairnError(
      Code.InvalidArgument,
      `${what} names ${reference.reference}, whose digest is not the ${image.digest} sent with it; add it again with \`cairn attestation add --kind CONTAINER_IMAGE\``,
      { details: { reason: 'invalid_material' } },
    );
  }
  if (!Number.isSafeInteger(image.size) || image.size <= 0) {
    throw new CairnError(
      Code.InvalidArgument,
      `the manifest size of ${what} must be a positive number of bytes (\`cairn attestation add --kind CONTAINER_IMAGE\` sends it)`,
      { details: { reason: 'invalid_material' } },
    );
  }
  const pinned =
    reference.digest === undefined ? `${reference.reference}@${image.digest}` : reference.reference;
  const predicate: PredicateMaterial = {
    ...predicateCommon(common),
    digest: image.digest,
    size: image.size,
    location: { image: { reference: pinned } },
  };
  return {
    ...recordCommon(run.orgId, run, common, predicate),
    source: 'image',
    backendId: null,
    content: null,
    imageReference: pinned,
  };
}

function predicateCommon(common: Common) {
  return {
    name: common.name,
    kind: common.kind,
    ...(common.fileName === null ? {} : { fileName: common.fileName }),
    annotations: common.annotations,
  };
}

function recordCommon(orgId: string, run: WorkflowRun, common: Common, predicate: PredicateMaterial) {
  return {
    runId: run.id,
    orgId,
    name: common.name,
    kind: common.kind,
    digest: predicate.digest,
    size: predicate.size,
    annotations: common.annotations,
    fileName: common.fileName,
    statementBytes: statementBytesOf(predicate),
  };
}

/**
 * What a material takes in the statement, as `buildStatement` writes it (compact JSON): its entry in
 * `predicate.materials` and, at most, an entry in `subject` (every material is one when the run has no
 * artifact or image), each with its comma.
 */
export function statementBytesOf(material: PredicateMaterial): number {
  const subjectName =
    'image' in material.location
      ? parseImageReference(material.location.image.reference).name
      : (material.fileName ?? material.name);
  const subject = { name: subjectName, digest: { sha256: material.digest.slice('sha256:'.length) } };
  return Buffer.byteLength(JSON.stringify(material)) + Buffer.byteLength(JSON.stringify(subject)) + 2;
}

function toRecorded(material: RunMaterial, backend: CasBackend | undefined): RecordedMaterial {
  let location: RecordedLocation;
  if (material.source === 'inline' && material.content !== null) location = { inline: material.content };
  else if (material.source === 'image' && material.imageReference !== null)
    location = { image: material.imageReference };
  else if (material.source === 'cas' && backend !== undefined) location = { backend };
  else throw new CairnError(Code.Internal, `material ${material.seq} has no location`);
  if (!isMaterialKind(material.kind)) {
    throw new CairnError(Code.Internal, `material ${material.seq} has the unknown kind ${material.kind}`);
  }
  return {
    name: material.name,
    kind: material.kind,
    digest: material.digest,
    size: material.size,
    fileName: material.fileName,
    annotations: material.annotations,
    location,
    createdAt: material.createdAt,
  };
}

function checkKind(kind: string): MaterialKind {
  if (isMaterialKind(kind)) return kind;
  throw new CairnError(
    Code.InvalidArgument,
    `a material needs its kind, one of ${MATERIAL_KINDS.join(', ')} (\`cairn attestation add --kind KIND\`, or without --kind the CLI detects it)`,
    { details: { reason: 'invalid_material' } },
  );
}

function checkFileName(fileName: string): string | null {
  if (fileName === '') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (fileName.trim() === '' || fileName.length > FILE_NAME_LIMIT || /[\u0000-\u001f\u007f]/.test(fileName)) {
    throw new CairnError(
      Code.InvalidArgument,
      `the file name must have 1–${FILE_NAME_LIMIT} characters, not all spaces, and no control characters`,
      { details: { reason: 'invalid_material' } },
    );
  }
  return fileName;
}

function checkAnnotations(annotations: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(annotations);
  const { entries: most, keyLength, valueLength } = ANNOTATION_LIMITS;
  const refuse = (why: string) =>
    new CairnError(
      Code.InvalidArgument,
      `${why} (\`cairn attestation add --annotation KEY=VALUE\`: at most ${most}, keys of 1–${keyLength} characters without control characters, values of at most ${valueLength})`,
      { details: { reason: 'invalid_annotation' } },
    );
  if (entries.length > most) throw refuse(`a material has ${entries.length} annotations, more than ${most}`);
  const checked: Record<string, string> = {};
  // Sorted, so the same annotations always make the same statement bytes.
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
    if (key === '' || key.length > keyLength || /[\u0000-\u001f\u007f]/.test(key)) {
      throw refuse(`the annotation key ${JSON.stringify(key.slice(0, 40))} is not allowed`);
    }
    if (value.length > valueLength) throw refuse(`the annotation ${JSON.stringify(key)} is too long`);
    checked[key] = value;
  }
  return checked;
}

function wrongSource(common: Common): CairnError {
  const expected =
    common.kind === 'STRING'
      ? 'a STRING is sent inline, as its text'
      : common.kind === 'CONTAINER_IMAGE'
        ? 'a CONTAINER_IMAGE is sent as an image reference with its resolved digest'
        : 'send its upload (cas) or, on an inline backend, its content (inline)';
  return new CairnError(
    Code.InvalidArgument,
    `material ${JSON.stringify(common.name)} of kind ${common.kind} came with the wrong source: ${expected} (\`cairn attestation add --kind ${common.kind}\` does)`,
    { details: { reason: 'wrong_source' } },
  );
}

function nameTaken(run: WorkflowRun, name: string): CairnError {
  return new CairnError(
    Code.AlreadyExists,
    `run ${run.id} has a material named ${JSON.stringify(name)} already; pick another name (\`cairn attestation add --name OTHER ...\`)`,
    { details: { reason: 'material_name_taken', name } },
  );
}

function tooLarge(message: string, size: number, limit: number): CairnError {
  return new CairnError(Code.ResourceExhausted, message, {
    details: { reason: 'material_too_large', size: String(size), limit: String(limit) },
  });
}

function attestationFull(
  run: WorkflowRun,
  backend: CasBackend,
  name: string,
  material: NewRunMaterial,
  used: number,
  budget: number,
  maxBundleBytes: number,
): CairnError {
  const advice =
    material.source === 'inline' && backend.provider === 'inline'
      ? `add a CAS backend as the default (${CAS_BACKEND_ADVICE}) so evidence is stored beside the attestation, then start a new run with \`cairn attestation init\``
      : material.source === 'inline'
        ? `attach it as a file instead (\`${ADD_ADVICE} --kind EVIDENCE\`)`
        : 'attest the rest in a new run (`cairn attestation init`)';
  return new CairnError(
    Code.ResourceExhausted,
    `material ${JSON.stringify(name)} would take ${material.statementBytes} bytes of run ${run.id}'s attestation, whose materials take ${used} of the ${budget} they may (a bundle is at most ${bundleCapOf(backend, maxBundleBytes)} bytes); ${advice}`,
    {
      details: {
        reason: 'attestation_full',
        size: String(material.statementBytes),
        used: String(used),
        limit: String(budget),
      },
    },
  );
}
