import { createHash } from 'node:crypto';
import {
  BUNDLE_MEDIA_TYPE,
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  PREDICATE_TYPE,
  type PredicateMaterial,
  STATEMENT_TYPE,
  type Statement,
  type StatementInput,
} from '@cairn/attestation';
import { CairnError, Code } from '@cairn/errors';
import type { CasBackend, WorkflowRun } from '../data/index.js';
import type { RecordedMaterial } from './run-materials.js';

/** An attestation bundle that passed the checks Store makes before anything is kept. */
export interface CheckedBundle {
  /** `sha256:<hex>` of the bytes as sent. */
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly size: number;
  /** The bytes parsed: a JSON object. */
  readonly json: Readonly<Record<string, unknown>>;
}

const PUSH_ADVICE = 'sign and push the run with `cairn attestation push --key FILE`';
const STATUS_ADVICE =
  '`cairn attestation status` shows what the run recorded, and `cairn attestation push` builds the statement from it';

/**
 * Checks a bundle: not empty, at most `maxBytes`, a JSON object. The bytes are kept exactly as sent (the
 * digest is over them), so a signature over the bundle keeps verifying.
 */
export function checkBundle(bytes: Uint8Array, maxBytes: number): CheckedBundle {
  if (bytes.byteLength === 0) {
    throw new CairnError(Code.InvalidArgument, `the bundle is empty; ${PUSH_ADVICE}`, {
      details: { reason: 'bundle_not_json' },
    });
  }
  if (bytes.byteLength > maxBytes) {
    throw new CairnError(
      Code.InvalidArgument,
      `the bundle has ${bytes.byteLength} bytes, more than the ${maxBytes} allowed for this run; ` +
        'keep large evidence out of the bundle: upload it as materials (`cairn attestation add --value FILE`)',
      { details: { reason: 'bundle_too_large', size: String(bytes.byteLength), limit: String(maxBytes) } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) {
    throw new CairnError(Code.InvalidArgument, `the bundle is not a JSON object; ${PUSH_ADVICE}`, {
      details: { reason: 'bundle_not_json' },
    });
  }
  return { digest: sha256Digest(bytes), bytes, size: bytes.byteLength, json: parsed };
}

/**
 * The in-toto statement of a bundle `cairn attestation push` made: a Sigstore bundle v0.3 whose DSSE
 * envelope (payloadType application/vnd.in-toto+json, at least one signature, a public-key hint) carries
 * a Statement v1 with Cairn's predicate, every field of which `buildStatement` accepts. Signatures are not
 * verified: the control plane holds no key (`cairn attestation verify` does that with the public key).
 * INVALID_ARGUMENT naming the first problem.
 */
export function readStatement(bundle: CheckedBundle): Statement {
  const json = bundle.json;
  if (json.mediaType !== BUNDLE_MEDIA_TYPE) {
    throw notABundle(`its mediaType is ${quote(json.mediaType)}, not ${BUNDLE_MEDIA_TYPE}`);
  }
  const material = json.verificationMaterial;
  const publicKey = isObject(material) ? material.publicKey : undefined;
  if (!isObject(publicKey) || typeof publicKey.hint !== 'string' || publicKey.hint === '') {
    throw notABundle('its verificationMaterial has no publicKey hint');
  }
  const envelope = json.dsseEnvelope;
  if (!isObject(envelope)) throw notABundle('it has no dsseEnvelope');
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw notABundle(`its payloadType is ${quote(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const signatures = envelope.signatures;
  if (
    !Array.isArray(signatures) ||
    signatures.length === 0 ||
    !signatures.every((entry) => isObject(entry) && typeof entry.sig === 'string' && entry.sig !== '')
  ) {
    throw notABundle('its envelope carries no signature');
  }
  const payload = envelope.payload;
  if (typeof payload !== 'string' || Buffer.from(payload, 'base64').toString('base64') !== payload) {
    throw notABundle('its envelope payload is not standard base64');
  }
  let statement: unknown;
  try {
    statement = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64')));
  } catch {
    throw notAStatement('its payload is not UTF-8 JSON');
  }
  if (!isObject(statement)) throw notAStatement('its payload is not a JSON object');
  if (statement._type !== STATEMENT_TYPE) {
    throw notAStatement(`its _type is ${quote(statement._type)}, not ${STATEMENT_TYPE}`);
  }
  if (statement.predicateType !== PREDICATE_TYPE) {
    throw notAStatement(`its predicateType is ${quote(statement.predicateType)}, not ${PREDICATE_TYPE}`);
  }
  const subject = statement.subject;
  if (!Array.isArray(subject) || subject.length === 0) throw notAStatement('it has no subject');
  const predicate = statement.predicate;
  if (!isObject(predicate) || !isObject(predicate.run) || !Array.isArray(predicate.materials)) {
    throw notAStatement('its predicate must have a run and materials');
  }
  if (!predicate.materials.every(isObject)) throw notAStatement('its predicate materials must be objects');
  try {
    // The same checks that built it: every field present and well typed, inline content matching its digest.
    buildStatement(predicate as unknown as StatementInput);
  } catch (error) {
    const problem =
      error instanceof CairnError ? error.message.replace(/^the attestation cannot be built: /, '') : '';
    throw notAStatement(problem || 'its predicate is malformed');
  }
  return statement as unknown as Statement;
}

/**
 * Checks that a statement attests this run as the control plane recorded it: its id, workflow, backend and
 * fallback, and every material recorded on the run, listed by name with the same kind, digest, size and
 * location. INVALID_ARGUMENT naming the first mismatch.
 */
export function checkStatementAgainstRun(
  statement: Statement,
  run: WorkflowRun,
  backend: CasBackend,
  materials: readonly RecordedMaterial[],
): void {
  const attested = statement.predicate.run;
  if (attested.id !== run.id) {
    throw new CairnError(
      Code.InvalidArgument,
      `the bundle attests run ${quote(attested.id)}, not run ${run.id}; push each run's own attestation (\`cairn attestation push\` builds it for the run in its state)`,
      { details: { reason: 'wrong_run' } },
    );
  }
  const mismatch = (what: string) =>
    new CairnError(Code.InvalidArgument, `the bundle's statement ${what}; ${STATUS_ADVICE}`, {
      details: { reason: 'statement_mismatch' },
    });
  if (attested.workflow !== run.workflow) {
    throw mismatch(
      `names workflow ${quote(attested.workflow)}, but run ${run.id} is of ${quote(run.workflow)}`,
    );
  }
  if (attested.backend.id !== backend.id) {
    throw mismatch(
      `names backend ${quote(attested.backend.id)}, but run ${run.id} is on "${backend.name}" (${backend.id})`,
    );
  }
  if (attested.fallback !== run.backendIsFallback) {
    throw mismatch(
      `says the run ${attested.fallback ? 'was' : 'was not'} on the fallback backend, but run ${run.id} ${run.backendIsFallback ? 'was' : 'was not'}`,
    );
  }
  const listed = new Map(statement.predicate.materials.map((material) => [material.name, material]));
  for (const recorded of materials) {
    const problem = materialMismatch(recorded, listed.get(recorded.name));
    if (problem !== undefined) {
      throw new CairnError(
        Code.InvalidArgument,
        `the bundle's statement ${problem}, recorded on run ${run.id}; ${STATUS_ADVICE}`,
        { details: { reason: 'material_mismatch', name: recorded.name } },
      );
    }
  }
}

function materialMismatch(
  recorded: RecordedMaterial,
  listed: PredicateMaterial | undefined,
): string | undefined {
  const name = JSON.stringify(recorded.name);
  if (listed === undefined) return `lacks material ${name} (${recorded.digest})`;
  if (listed.digest !== recorded.digest) {
    return `lists material ${name} with digest ${quote(listed.digest, 80)}, not ${recorded.digest}`;
  }
  if (listed.size !== recorded.size)
    return `lists material ${name} with ${listed.size} bytes, not ${recorded.size}`;
  if (listed.kind !== recorded.kind) return `lists material ${name} as ${listed.kind}, not ${recorded.kind}`;
  const where = recorded.location;
  const at = listed.location;
  if ('backend' in where) {
    if (!('backend' in at) || at.backend.id !== where.backend.id) {
      return `does not place material ${name} on backend "${where.backend.name}" (${where.backend.id})`;
    }
  } else if ('inline' in where) {
    if (!('inline' in at)) return `does not carry material ${name} inline`;
  } else if (!('image' in at) || at.image.reference !== where.image) {
    return `does not name material ${name} as image ${where.image}`;
  }
  return undefined;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function notABundle(why: string): CairnError {
  return new CairnError(
    Code.InvalidArgument,
    `the bundle is not a Cairn attestation bundle: ${why}; ${PUSH_ADVICE}`,
    {
      details: { reason: 'not_a_bundle' },
    },
  );
}

function notAStatement(why: string): CairnError {
  return new CairnError(
    Code.InvalidArgument,
    `the bundle's statement is not a Cairn attestation: ${why}; ${PUSH_ADVICE}`,
    { details: { reason: 'not_a_statement' } },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(value: unknown, max = 60): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
