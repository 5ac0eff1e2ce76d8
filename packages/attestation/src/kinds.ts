import { CairnError, Code } from '@cairn/errors';

/** Every kind of material a run can record, in the order the CLI lists them. */
export const MATERIAL_KINDS = [
  'ARTIFACT',
  'STRING',
  'SBOM_CYCLONEDX_JSON',
  'SBOM_SPDX_JSON',
  'JUNIT_XML',
  'SARIF',
  'OPENVEX',
  'EVIDENCE',
  'CONTAINER_IMAGE',
] as const;

/**
 * What a material is. `ARTIFACT` and `CONTAINER_IMAGE` are what the build produced (they become the
 * statement's subjects); `STRING` is a value that is not a file; `EVIDENCE` is any JSON document; the
 * others are the formats whose structure Cairn checks.
 */
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

export function isMaterialKind(value: unknown): value is MaterialKind {
  return typeof value === 'string' && (MATERIAL_KINDS as readonly string[]).includes(value);
}

/** Reads a kind as a user types it (`sarif`, `SBOM_CYCLONEDX_JSON`); INVALID_ARGUMENT listing the kinds. */
export function parseMaterialKind(value: string): MaterialKind {
  const upper = value.trim().toUpperCase();
  if (isMaterialKind(upper)) return upper;
  throw new CairnError(
    Code.InvalidArgument,
    `"${value}" is not a material kind; use one of ${MATERIAL_KINDS.join(', ')}`,
    { details: { reason: 'unknown_material_kind' } },
  );
}

/** Kinds that name what the build produced and so become the statement's subjects. */
export function isSubjectKind(kind: MaterialKind): boolean {
  return kind === 'ARTIFACT' || kind === 'CONTAINER_IMAGE';
}

/** A short human name of a kind, for messages ("a CycloneDX SBOM"). */
export function describeKind(kind: MaterialKind): string {
  switch (kind) {
    case 'ARTIFACT':
      return 'an artifact';
    case 'STRING':
      return 'a string';
    case 'SBOM_CYCLONEDX_JSON':
      return 'a CycloneDX SBOM';
    case 'SBOM_SPDX_JSON':
      return 'an SPDX SBOM';
    case 'JUNIT_XML':
      return 'JUnit XML';
    case 'SARIF':
      return 'a SARIF log';
    case 'OPENVEX':
      return 'an OpenVEX document';
    case 'EVIDENCE':
      return 'a JSON document';
    case 'CONTAINER_IMAGE':
      return 'a container image reference';
  }
}
