// Structural checks of the JSON evidence formats. Each returns the first problem found as a phrase that
// completes "<file> is not <kind>: …", or undefined when the document has the structure that defines its
// format.
//
// Hand-written on purpose: Cairn checks the fields that make a document a CycloneDX BOM, an SPDX 2.x
// document, a SARIF 2.1.0 log or an OpenVEX document, not every rule of their JSON schemas. A full schema
// check (e.g. CycloneDX's, through ajv) would refuse real SBOMs over details such as a licence id newer
// than the bundled licence list, and would compile a large schema on every `cairn attestation add`.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a short quotation for a message: never more than `max` characters of the document. */
export function quote(value: unknown, max = 40): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function found(value: unknown): string {
  return value === undefined ? 'it is missing' : `it is ${quote(value)}`;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** `"field" must be a non-empty string` unless it is one. */
function requireString(object: JsonObject, field: string, path = field): string | undefined {
  return nonEmptyString(object[field])
    ? undefined
    : `"${path}" must be a non-empty string (${found(object[field])})`;
}

/** Checks every element of an optional array with `check`, naming the first bad element by its index. */
function checkArray(
  object: JsonObject,
  field: string,
  check: ((element: JsonObject, path: string) => string | undefined) | undefined,
  required = false,
): string | undefined {
  const value = object[field];
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value)) return `"${field}" must be an array (${found(value)})`;
  if (check === undefined) return undefined;
  for (const [index, element] of value.entries()) {
    const path = `${field}[${index}]`;
    if (!isJsonObject(element)) return `"${path}" must be an object`;
    const problem = check(element, path);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

export function checkCycloneDx(document: unknown): string | undefined {
  if (!isJsonObject(document)) return 'the document must be a JSON object';
  if (document.bomFormat !== 'CycloneDX') {
    return `"bomFormat" must be "CycloneDX" (${found(document.bomFormat)})`;
  }
  const specVersion = document.specVersion;
  if (typeof specVersion !== 'string' || !/^1\.\d+$/.test(specVersion)) {
    return `"specVersion" must be a CycloneDX 1.x version such as "1.6" (${found(specVersion)})`;
  }
  const version = document.version;
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 1)) {
    return `"version" must be an integer of at least 1 (${found(version)})`;
  }
  const serial = document.serialNumber;
  if (serial !== undefined && (typeof serial !== 'string' || !/^urn:uuid:[0-9a-f-]{36}$/i.test(serial))) {
    return `"serialNumber" must be a "urn:uuid:…" (${found(serial)})`;
  }
  if (document.metadata !== undefined && !isJsonObject(document.metadata)) {
    return '"metadata" must be an object';
  }
  return (
    checkArray(
      document,
      'components',
      (component, path) =>
        requireString(component, 'type', `${path}.type`) ?? requireString(component, 'name', `${path}.name`),
    ) ??
    checkArray(document, 'dependencies', (dependency, path) =>
      requireString(dependency, 'ref', `${path}.ref`),
    )
  );
}

export function checkSpdx(document: unknown): string | undefined {
  if (!isJsonObject(document)) return 'the document must be a JSON object';
  const version = document.spdxVersion;
  if (typeof version !== 'string' || !/^SPDX-2\.\d+$/.test(version)) {
    return `"spdxVersion" must be an SPDX 2.x version such as "SPDX-2.3" (${found(version)})`;
  }
  if (document.SPDXID !== 'SPDXRef-DOCUMENT') {
    return `"SPDXID" must be "SPDXRef-DOCUMENT" (${found(document.SPDXID)})`;
  }
  const problem = requireString(document, 'name');
  if (problem !== undefined) return problem;
  if (document.dataLicense !== 'CC0-1.0') {
    return `"dataLicense" must be "CC0-1.0" (${found(document.dataLicense)})`;
  }
  const namespace = document.documentNamespace;
  if (typeof namespace !== 'string' || !URL.canParse(namespace)) {
    return `"documentNamespace" must be a URI (${found(namespace)})`;
  }
  const creation = document.creationInfo;
  if (!isJsonObject(creation)) return '"creationInfo" must be an object';
  const created = requireString(creation, 'created', 'creationInfo.created');
  if (created !== undefined) return created;
  const creators = creation.creators;
  if (!Array.isArray(creators) || creators.length === 0 || !creators.every(nonEmptyString)) {
    return '"creationInfo.creators" must be a non-empty array of strings';
  }
  return (
    checkArray(
      document,
      'packages',
      (pkg, path) =>
        requireString(pkg, 'SPDXID', `${path}.SPDXID`) ?? requireString(pkg, 'name', `${path}.name`),
    ) ??
    checkArray(document, 'files', (file, path) => requireString(file, 'SPDXID', `${path}.SPDXID`)) ??
    checkArray(document, 'relationships', undefined)
  );
}

export function checkSarif(document: unknown): string | undefined {
  if (!isJsonObject(document)) return 'the document must be a JSON object';
  if (document.version !== '2.1.0') return `"version" must be "2.1.0" (${found(document.version)})`;
  return checkArray(
    document,
    'runs',
    (run, path) => {
      const tool = run.tool;
      if (!isJsonObject(tool) || !isJsonObject(tool.driver)) return `"${path}.tool.driver" must be an object`;
      const name = requireString(tool.driver, 'name', `${path}.tool.driver.name`);
      if (name !== undefined) return name;
      if (run.results !== undefined && !Array.isArray(run.results))
        return `"${path}.results" must be an array`;
      return undefined;
    },
    true,
  );
}

const VEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'];

export function checkOpenVex(document: unknown): string | undefined {
  if (!isJsonObject(document)) return 'the document must be a JSON object';
  const context = document['@context'];
  if (typeof context !== 'string' || !context.startsWith('https://openvex.dev/ns')) {
    return `"@context" must be an OpenVEX context such as "https://openvex.dev/ns/v0.2.0" (${found(context)})`;
  }
  const problem =
    requireString(document, '@id') ??
    requireString(document, 'author') ??
    requireString(document, 'timestamp');
  if (problem !== undefined) return problem;
  return checkArray(
    document,
    'statements',
    (statement, path) => {
      if (typeof statement.status !== 'string' || !VEX_STATUSES.includes(statement.status)) {
        return `"${path}.status" must be one of ${VEX_STATUSES.join(', ')} (${found(statement.status)})`;
      }
      const vulnerability = statement.vulnerability;
      const named =
        nonEmptyString(vulnerability) ||
        (isJsonObject(vulnerability) &&
          (nonEmptyString(vulnerability.name) || nonEmptyString(vulnerability['@id'])));
      return named ? undefined : `"${path}.vulnerability" must name a vulnerability`;
    },
    true,
  );
}

/** Which JSON evidence format a document claims to be, from the fields that identify each one. */
export function claimedJsonFormat(
  document: unknown,
): 'SBOM_CYCLONEDX_JSON' | 'SBOM_SPDX_JSON' | 'SARIF' | 'OPENVEX' | undefined {
  if (!isJsonObject(document)) return undefined;
  if (document.bomFormat === 'CycloneDX') return 'SBOM_CYCLONEDX_JSON';
  if (typeof document.spdxVersion === 'string' && document.spdxVersion.startsWith('SPDX-')) {
    return 'SBOM_SPDX_JSON';
  }
  const schema = document.$schema;
  if (
    Array.isArray(document.runs) &&
    (document.version === '2.1.0' || (typeof schema === 'string' && /sarif/i.test(schema)))
  ) {
    return 'SARIF';
  }
  const context = document['@context'];
  if (typeof context === 'string' && context.startsWith('https://openvex.dev/ns')) return 'OPENVEX';
  return undefined;
}
