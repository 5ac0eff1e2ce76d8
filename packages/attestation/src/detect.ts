import { claimedJsonFormat } from './json-formats.js';
import { looksLikeJunit } from './junit.js';
import type { MaterialKind } from './kinds.js';
import { MaterialContent } from './material-content.js';
import { MAX_CHECKED_BYTES } from './validate.js';

// File names that declare a format. Content decides first; a name only decides for content that claims no
// format, so that `validateMaterial` then refuses it saying why rather than storing a broken report as
// plain EVIDENCE or ARTIFACT.
const NAMED_FORMATS: ReadonlyArray<readonly [RegExp, MaterialKind]> = [
  [/\.cdx\.json$/i, 'SBOM_CYCLONEDX_JSON'],
  [/\.spdx\.json$/i, 'SBOM_SPDX_JSON'],
  [/\.sarif(\.json)?$/i, 'SARIF'],
  [/\.(open)?vex\.json$/i, 'OPENVEX'],
];

export interface DetectOptions {
  /** Overrides MAX_CHECKED_BYTES: larger content is not parsed and is detected as ARTIFACT. */
  readonly maxBytes?: number;
}

/**
 * The kind of a file added without `--kind`: CycloneDX, SPDX, SARIF and OpenVEX JSON and JUnit XML are
 * recognised from their content; any other JSON is EVIDENCE; anything else (binary, text, other XML, or
 * more than MAX_CHECKED_BYTES) is ARTIFACT. The file name decides only for content that claims no format
 * (e.g. `x.sarif` that is not SARIF is SARIF, so validating it says what is wrong). A value that is not a
 * file is the caller's STRING. Run `validateMaterial` on the result: detection reads what a document
 * claims to be, validation checks it.
 */
export function detectKind(
  content: Uint8Array | MaterialContent,
  fileName = '',
  options: DetectOptions = {},
): MaterialKind {
  const material = MaterialContent.of(content);
  const byName = NAMED_FORMATS.find(([pattern]) => pattern.test(fileName))?.[1];
  if (material.bytes.byteLength > (options.maxBytes ?? MAX_CHECKED_BYTES)) return byName ?? 'ARTIFACT';
  const { text } = material;
  if (text === undefined) return byName ?? 'ARTIFACT';
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') {
    const parsed = material.json;
    if (parsed.ok) return claimedJsonFormat(parsed.value) ?? byName ?? 'EVIDENCE';
  } else if (start === '<' && looksLikeJunit(text)) {
    return 'JUNIT_XML';
  }
  return byName ?? 'ARTIFACT';
}
