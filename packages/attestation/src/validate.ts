import { CairnError, Code } from '@cairn/errors';
import { parseImageReference } from './image-reference.js';
import { checkCycloneDx, checkOpenVex, checkSarif, checkSpdx } from './json-formats.js';
import { checkJunit } from './junit.js';
import { describeKind, type MaterialKind } from './kinds.js';
import { MaterialContent } from './material-content.js';

/**
 * The most bytes Cairn reads to check or detect a material's format: 64 MiB. Evidence a CI job attaches
 * (SBOMs, reports) is far smaller; the cap keeps the memory of a check bounded, since a parsed JSON or
 * XML document takes several times its size. `ARTIFACT` materials are never parsed and have no cap here.
 */
export const MAX_CHECKED_BYTES = 64 * 1024 * 1024;

export interface ValidateOptions {
  /** How the material is named in messages, e.g. its file name. */
  readonly name?: string;
  /** Overrides MAX_CHECKED_BYTES. */
  readonly maxBytes?: number;
}

/**
 * Checks that `bytes` are valid for `kind`, and refuses them with INVALID_ARGUMENT saying why
 * ("sbom.json is not a CycloneDX SBOM: \"bomFormat\" must be \"CycloneDX\" …"), or RESOURCE_EXHAUSTED
 * when a material that must be parsed is over the cap. `ARTIFACT` accepts any bytes; `STRING` any UTF-8
 * text; `EVIDENCE` any JSON; `CONTAINER_IMAGE` an image reference (its digest is not resolved here).
 */
export function validateMaterial(
  kind: MaterialKind,
  content: Uint8Array | MaterialContent,
  options: ValidateOptions = {},
): void {
  if (kind === 'ARTIFACT') return;
  const material = MaterialContent.of(content);
  const { bytes } = material;
  const name = options.name ?? 'the material';
  const maxBytes = options.maxBytes ?? MAX_CHECKED_BYTES;
  if (bytes.byteLength > maxBytes) {
    throw new CairnError(
      Code.ResourceExhausted,
      `${name} is ${formatBytes(bytes.byteLength)}, more than the ${formatBytes(maxBytes)} Cairn reads to check ` +
        `${describeKind(kind)}; attach a smaller file`,
      { details: { reason: 'material_too_large_to_check' } },
    );
  }
  const problem = findProblem(kind, material);
  if (problem !== undefined) {
    throw new CairnError(Code.InvalidArgument, `${name} is not ${describeKind(kind)}: ${problem}`, {
      details: { reason: 'invalid_material', kind },
    });
  }
}

function findProblem(kind: Exclude<MaterialKind, 'ARTIFACT'>, material: MaterialContent): string | undefined {
  const { text } = material;
  if (text === undefined) return 'it is not UTF-8 text';
  switch (kind) {
    case 'STRING':
      return undefined;
    case 'JUNIT_XML':
      return checkJunit(text);
    case 'CONTAINER_IMAGE':
      // Its own INVALID_ARGUMENT quotes the reference and says how to write one.
      parseImageReference(text);
      return undefined;
  }
  const parsed = material.json;
  if (!parsed.ok) return parsed.problem;
  switch (kind) {
    case 'EVIDENCE':
      return undefined;
    case 'SBOM_CYCLONEDX_JSON':
      return checkCycloneDx(parsed.value);
    case 'SBOM_SPDX_JSON':
      return checkSpdx(parsed.value);
    case 'SARIF':
      return checkSarif(parsed.value);
    case 'OPENVEX':
      return checkOpenVex(parsed.value);
  }
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
