import { CairnError, Code } from '@cairn/errors';
import { digestOf, inlineBytes } from './digest.js';
import { parseImageReference } from './image-reference.js';
import { isJsonObject, quote } from './json-formats.js';
import { isMaterialKind, isSubjectKind, type MaterialKind } from './kinds.js';
import { pickRunner, RUNNER_TYPES, type Runner } from './runner.js';

/** `_type` of every statement Cairn signs: an in-toto Statement v1. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Cairn's own predicate type; its fields are described in PREDICATE.md. */
export const PREDICATE_TYPE = 'https://cairn.dev/attestation/v1';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A storage backend as the control plane names it. */
export interface BackendRef {
  readonly id: string;
  readonly name: string;
  /** `inline`, `filesystem`, `oci`, `aws-s3` or `azure-blob`. */
  readonly provider: string;
}

/**
 * Where a material's bytes are: in a backend reached through the CAS, inside the attestation itself
 * (`inline`: the text of a STRING material, base64 of any other kind's bytes), or in a container registry
 * (`image`, for CONTAINER_IMAGE: the normalised reference; `digest` is the manifest's).
 */
export type MaterialLocation =
  | { readonly backend: BackendRef }
  | { readonly inline: string }
  | { readonly image: { readonly reference: string } };

/** One material as the predicate lists it. */
export interface PredicateMaterial {
  readonly name: string;
  readonly kind: MaterialKind;
  /** `sha256:<64 lower-case hex>` of the material's bytes. */
  readonly digest: string;
  /** Size in bytes. */
  readonly size: number;
  /** The file the material was read from, when it was a file. */
  readonly fileName?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly location: MaterialLocation;
}

/** The run the attestation is about. */
export interface PredicateRun {
  readonly id: string;
  readonly workflow: string;
  readonly project?: string;
  readonly runner: Runner;
  /** RFC 3339 UTC timestamps. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The backend the run's evidence went to. */
  readonly backend: BackendRef;
  /** True when the organisation's default backend was unusable and its fallback was chosen. */
  readonly fallback: boolean;
}

/** The predicate of `PREDICATE_TYPE`. */
export interface CairnPredicate {
  readonly run: PredicateRun;
  readonly materials: readonly PredicateMaterial[];
  readonly annotations: Readonly<Record<string, string>>;
}

/** An in-toto ResourceDescriptor as Cairn uses it in `subject`. */
export interface Subject {
  readonly name: string;
  readonly digest: { readonly sha256: string };
}

export interface Statement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly Subject[];
  readonly predicateType: typeof PREDICATE_TYPE;
  readonly predicate: CairnPredicate;
}

/** A material to put in the statement; `annotations` may be left out. */
export type MaterialInput = Omit<PredicateMaterial, 'annotations'> & {
  readonly annotations?: Readonly<Record<string, string>>;
};

export interface StatementInput {
  readonly run: Omit<PredicateRun, 'startedAt' | 'finishedAt'> & {
    readonly startedAt: Date | string;
    readonly finishedAt: Date | string;
  };
  readonly materials: readonly MaterialInput[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The in-toto Statement v1 of a run: its subjects are what the build produced (ARTIFACT and
 * CONTAINER_IMAGE materials; every material when there is none of those, since in-toto requires at least
 * one subject), its predicate lists every material, the run and the annotations. INVALID_ARGUMENT naming
 * the field when the input is not a valid attestation (including inline content that does not match its
 * digest, two materials with one name, or no material at all).
 */
export function buildStatement(input: StatementInput): Statement {
  const { run } = input;
  // Built field by field, so nothing the caller's objects carry besides the documented fields is signed.
  const predicate = {
    run: {
      id: run.id,
      workflow: run.workflow,
      ...(run.project === undefined ? {} : { project: run.project }),
      runner: isJsonObject(run.runner) ? pickRunner(run.runner) : run.runner,
      startedAt: timestamp(run.startedAt, 'run.startedAt'),
      finishedAt: timestamp(run.finishedAt, 'run.finishedAt'),
      backend: backendRef(run.backend),
      fallback: run.fallback,
    },
    materials: (input.materials ?? []).map(
      (material): PredicateMaterial => ({
        name: material.name,
        kind: material.kind,
        digest: material.digest,
        size: material.size,
        ...(material.fileName === undefined ? {} : { fileName: material.fileName }),
        annotations: material.annotations ?? {},
        location: locationOf(material.location),
      }),
    ),
    annotations: input.annotations ?? {},
  };
  const problem = predicateProblem(predicate, '') ?? inlineMismatch(predicate.materials);
  if (problem !== undefined) {
    throw new CairnError(Code.InvalidArgument, `the attestation cannot be built: ${problem}`, {
      details: { reason: 'invalid_statement' },
    });
  }
  return {
    _type: STATEMENT_TYPE,
    subject: subjectsOf(predicate.materials),
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

// The input comes from the CLI's state files as often as from typed code: anything malformed is passed on
// as it is, for predicateProblem to name.
function backendRef(backend: BackendRef): BackendRef {
  if (typeof backend !== 'object' || backend === null) return backend;
  return { id: backend.id, name: backend.name, provider: backend.provider };
}

function locationOf(location: MaterialLocation): MaterialLocation {
  if (typeof location !== 'object' || location === null || Object.keys(location).length !== 1)
    return location;
  if ('backend' in location) return { backend: backendRef(location.backend) };
  if ('inline' in location) return { inline: location.inline };
  const image: unknown = 'image' in location ? location.image : undefined;
  if (isJsonObject(image) && typeof image.reference === 'string')
    return { image: { reference: image.reference } };
  return location;
}

function inlineMismatch(materials: readonly PredicateMaterial[]): string | undefined {
  for (const material of materials) {
    if (!('inline' in material.location)) continue;
    const bytes = inlineBytes(material.kind, material.location.inline);
    if (bytes.byteLength !== material.size || digestOf(bytes) !== material.digest) {
      return `the inline content of ${quote(material.name)} is ${bytes.byteLength} bytes with digest ${digestOf(bytes)}, not the ${material.size} bytes with digest ${material.digest} it declares`;
    }
  }
  return undefined;
}

/**
 * Reads a parsed statement, checking that it is an in-toto Statement v1 with Cairn's predicate and that
 * the predicate has every field this package relies on. Returns the problem, or undefined.
 */
export function statementProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return 'the payload is not a JSON object';
  if (value._type !== STATEMENT_TYPE) return `"_type" is ${quote(value._type)}, not "${STATEMENT_TYPE}"`;
  if (value.predicateType !== PREDICATE_TYPE) {
    return `"predicateType" is ${quote(value.predicateType)}, not Cairn's "${PREDICATE_TYPE}"`;
  }
  const subject = value.subject;
  if (!Array.isArray(subject) || subject.length === 0) return '"subject" must be a non-empty array';
  for (const [index, entry] of subject.entries()) {
    if (!isJsonObject(entry) || typeof entry.name !== 'string' || !isJsonObject(entry.digest)) {
      return `"subject[${index}]" must have a name and a digest`;
    }
    const sha256 = entry.digest.sha256;
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
      return `"subject[${index}].digest.sha256" must be 64 lower-case hex`;
    }
  }
  return predicateProblem(value.predicate, 'predicate.');
}

function subjectsOf(materials: readonly PredicateMaterial[]): Subject[] {
  const produced = materials.filter((material) => isSubjectKind(material.kind));
  const chosen = produced.length > 0 ? produced : materials;
  const seen = new Set<string>();
  const subjects: Subject[] = [];
  for (const material of chosen) {
    const name = subjectName(material);
    const sha256 = material.digest.slice('sha256:'.length);
    const key = `${name}\n${sha256}`;
    if (seen.has(key)) continue;
    seen.add(key);
    subjects.push({ name, digest: { sha256 } });
  }
  return subjects;
}

// An image's subject is named by its repository (`registry/repository`), as image attestations are; any
// other material by its file name, or its material name when it was not a file.
function subjectName(material: PredicateMaterial): string {
  if ('image' in material.location) return parseImageReference(material.location.image.reference).name;
  return material.fileName ?? material.name;
}

function timestamp(value: Date | string, path: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new CairnError(
      Code.InvalidArgument,
      `the attestation cannot be built: "${path}" is not a valid time`,
      {
        details: { reason: 'invalid_statement' },
      },
    );
  }
  return date.toISOString();
}

// ---- checks shared by building and verifying: each returns the first problem, naming the field ----

function predicateProblem(value: unknown, prefix: string): string | undefined {
  if (!isJsonObject(value)) return `"${prefix === '' ? 'predicate' : prefix.slice(0, -1)}" must be an object`;
  return (
    runProblem(value.run, `${prefix}run`) ??
    materialsProblem(value.materials, `${prefix}materials`) ??
    annotationsProblem(value.annotations, `${prefix}annotations`)
  );
}

function runProblem(run: unknown, path: string): string | undefined {
  if (!isJsonObject(run)) return `"${path}" must be an object`;
  for (const field of ['id', 'workflow']) {
    if (!nonEmpty(run[field])) return `"${path}.${field}" must be a non-empty string`;
  }
  if (run.project !== undefined && typeof run.project !== 'string')
    return `"${path}.project" must be a string`;
  for (const field of ['startedAt', 'finishedAt']) {
    const time = run[field];
    if (typeof time !== 'string' || Number.isNaN(Date.parse(time)))
      return `"${path}.${field}" must be a timestamp`;
  }
  if (typeof run.fallback !== 'boolean') return `"${path}.fallback" must be true or false`;
  const runner = run.runner;
  if (!isJsonObject(runner) || !(RUNNER_TYPES as readonly unknown[]).includes(runner.type)) {
    return `"${path}.runner.type" must be one of ${RUNNER_TYPES.join(', ')}`;
  }
  for (const [key, field] of Object.entries(runner)) {
    if (typeof field !== 'string') return `"${path}.runner.${key}" must be a string`;
  }
  return backendProblem(run.backend, `${path}.backend`);
}

function backendProblem(backend: unknown, path: string): string | undefined {
  if (!isJsonObject(backend)) return `"${path}" must be an object with id, name and provider`;
  for (const field of ['id', 'name', 'provider']) {
    if (!nonEmpty(backend[field])) return `"${path}.${field}" must be a non-empty string`;
  }
  return undefined;
}

function materialsProblem(materials: unknown, path: string): string | undefined {
  if (!Array.isArray(materials)) return `"${path}" must be an array`;
  if (materials.length === 0) return 'it has no material; add at least one before signing';
  const names = new Set<string>();
  for (const [index, material] of materials.entries()) {
    const problem = materialProblem(material, `${path}[${index}]`);
    if (problem !== undefined) return problem;
    const name = (material as PredicateMaterial).name;
    if (names.has(name)) return `two materials are named ${quote(name)}; material names must be unique`;
    names.add(name);
  }
  return undefined;
}

/** The first problem of one predicate material, or undefined. Exported for `materialsToCheck`. */
export function materialProblem(material: unknown, path: string): string | undefined {
  if (!isJsonObject(material)) return `"${path}" must be an object`;
  if (!nonEmpty(material.name)) return `"${path}.name" must be a non-empty string`;
  const at = `${path} (${quote(material.name)})`;
  const kind = material.kind;
  if (!isMaterialKind(kind)) return `"${at}.kind" is ${quote(kind)}, not a material kind`;
  if (typeof material.digest !== 'string' || !DIGEST.test(material.digest)) {
    return `"${at}.digest" must be sha256:<64 lower-case hex>`;
  }
  const size = material.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return `"${at}.size" must be a whole number of bytes`;
  }
  if (material.fileName !== undefined && !nonEmpty(material.fileName)) {
    return `"${at}.fileName" must be a non-empty string when present`;
  }
  const annotations = annotationsProblem(material.annotations, `${at}.annotations`);
  if (annotations !== undefined) return annotations;
  const location = material.location;
  if (!isJsonObject(location) || Object.keys(location).length !== 1) {
    return `"${at}.location" must have exactly one of backend, inline or image`;
  }
  if ('backend' in location) {
    if (kind === 'STRING' || kind === 'CONTAINER_IMAGE')
      return `"${at}" is a ${kind}, which a backend does not hold`;
    return backendProblem(location.backend, `${at}.location.backend`);
  }
  if ('inline' in location) {
    if (typeof location.inline !== 'string') return `"${at}.location.inline" must be a string`;
    if (kind === 'CONTAINER_IMAGE') return `"${at}" is a CONTAINER_IMAGE, which cannot be inline`;
    if (kind !== 'STRING' && !isCanonicalBase64(location.inline)) {
      return `"${at}.location.inline" must be base64 (only STRING materials are inline as text)`;
    }
    return undefined;
  }
  if ('image' in location) {
    if (kind !== 'CONTAINER_IMAGE')
      return `"${at}" is ${kind}, not a CONTAINER_IMAGE, so it has no image location`;
    const image = location.image;
    if (!isJsonObject(image) || !nonEmpty(image.reference))
      return `"${at}.location.image.reference" must be a string`;
    try {
      parseImageReference(image.reference);
    } catch (error) {
      return `"${at}.location.image.reference": ${(error as Error).message}`;
    }
    return undefined;
  }
  return `"${at}.location" must be one of backend, inline or image`;
}

function annotationsProblem(annotations: unknown, path: string): string | undefined {
  if (!isJsonObject(annotations)) return `"${path}" must be an object of strings`;
  for (const [key, value] of Object.entries(annotations)) {
    if (key === '') return `"${path}" has an empty key`;
    if (typeof value !== 'string') return `"${path}.${key}" must be a string`;
  }
  return undefined;
}

/** True for standard, padded base64 that decodes and re-encodes to itself. */
export function isCanonicalBase64(text: string): boolean {
  return Buffer.from(text, 'base64').toString('base64') === text;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
