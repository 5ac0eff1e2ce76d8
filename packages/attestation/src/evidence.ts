// @cairn/attestation/evidence: everything about materials and the statement that needs no Sigstore code —
// kinds, detection and format checks, image references, digests, the CI runner, building the statement and
// checking materials against it. The `cairn` steps that only add evidence load this entry, which is a few
// dozen kilobytes where the whole package (with Sigstore's signing and its HTTP stack) is megabytes.
export { type DetectOptions, detectKind } from './detect.js';
export { digestOf } from './digest.js';
export { type ImageReference, parseImageReference } from './image-reference.js';
export {
  describeKind,
  isMaterialKind,
  isSubjectKind,
  MATERIAL_KINDS,
  type MaterialKind,
  parseMaterialKind,
} from './kinds.js';
export { MaterialContent } from './material-content.js';
export {
  checkInlineMaterial,
  checkMaterialContent,
  inlineMaterial,
  type MaterialToCheck,
  materialsToCheck,
} from './materials.js';
export { detectRunner, RUNNER_TYPES, type Runner, type RunnerType } from './runner.js';
export {
  type BackendRef,
  buildStatement,
  type CairnPredicate,
  type MaterialInput,
  type MaterialLocation,
  PREDICATE_TYPE,
  type PredicateMaterial,
  type PredicateRun,
  STATEMENT_TYPE,
  type Statement,
  type StatementInput,
  type Subject,
} from './statement.js';
export { MAX_CHECKED_BYTES, type ValidateOptions, validateMaterial } from './validate.js';
