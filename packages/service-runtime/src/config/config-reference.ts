import type { $ZodType } from 'zod/v4/core';
import type { ConfigSpec } from './config-loader.js';
import { keysOfVariable, variablesFor } from './environment.js';
import { defaultKind, defOf, expectation, infoOf, kindOf, unionKinds } from './schema-info.js';

/** One row of a settings table: what docs/configuration.md says of a key. */
export interface SettingRow {
  readonly key: string;
  /** Which kind of its section takes it ("kind vault"); empty for every kind. */
  readonly note: string;
  /** "integer from 0 to 65535", "path", "one of debug, info, warn, error". */
  readonly type: string;
  /** The default as written in a file, "required", or "unset". */
  readonly defaultValue: string;
  readonly description: string;
  /** The variables that set it. */
  readonly variables: readonly string[];
}

/** Every key a schema takes, sections flattened to dotted keys, each kind of a union's keys marked. */
export function settingRows(schema: $ZodType, spec?: Pick<ConfigSpec, 'environment'>): SettingRow[] {
  const rows: SettingRow[] = [];
  const variablesOf = (key: string) => variablesFor(spec?.environment ?? {}, key);
  // In an optional section, "required" holds only when the section is given.
  const visit = (
    shape: Readonly<Record<string, $ZodType>>,
    prefix: string,
    note: string,
    inOptional: boolean,
  ) => {
    for (const [name, child] of Object.entries(shape)) {
      const key = `${prefix}${name}`;
      const info = infoOf(child);
      const def = defOf(info.base);
      if (info.type === 'object') {
        visit(
          def.shape ?? {},
          `${key}.`,
          note,
          inOptional || (info.optional && !('defaultValue' in info) && !prefaulted(child)),
        );
        continue;
      }
      if (def.discriminator !== undefined) {
        const discriminator = def.discriminator;
        const kind = defaultKind(info.base);
        rows.push({
          key: `${key}.${discriminator}`,
          note: '',
          type: `one of ${unionKinds(def).join(', ')}`,
          defaultValue: kind === undefined ? (info.optional ? 'unset' : 'required') : String(kind),
          description: info.meta.description ?? '',
          variables: variablesOf(`${key}.${discriminator}`),
        });
        for (const option of def.options ?? []) {
          const optionKind = String(kindOf(option, discriminator));
          const shape = Object.fromEntries(
            Object.entries(defOf(option).shape ?? {}).filter(([field]) => field !== discriminator),
          );
          visit(shape, `${key}.`, `${discriminator} ${optionKind}`, inOptional || info.optional);
        }
        continue;
      }
      const defaultValue = defaultOf(child);
      rows.push({
        key,
        note,
        type: typeOf(child),
        defaultValue:
          defaultValue === 'required' && (inOptional || note !== '')
            ? 'required in its section'
            : defaultValue,
        description: info.meta.description ?? '',
        variables: variablesOf(key),
      });
    }
  };
  visit(defOf(infoOf(schema).base).shape ?? {}, '', '', false);
  return rows;
}

/** A section given a default of `{}` (`.prefault({})`) is always there. */
function prefaulted(schema: $ZodType): boolean {
  return defOf(schema).type === 'prefault';
}

function typeOf(schema: $ZodType): string {
  const info = infoOf(schema);
  if (info.meta.path === true) return 'path';
  const element = defOf(info.base).element;
  if (info.type === 'array' && element !== undefined && infoOf(element).meta.path === true)
    return 'list of paths';
  if (info.type === 'record') return 'object';
  return expectation(schema).replace(/^(a|an) /, '');
}

function defaultOf(schema: $ZodType): string {
  const info = infoOf(schema);
  if (info.meta.defaultText !== undefined) return info.meta.defaultText;
  if ('defaultValue' in info)
    return typeof info.defaultValue === 'string' ? info.defaultValue : JSON.stringify(info.defaultValue);
  return info.optional ? 'unset' : 'required';
}

/** The lines `--help` shows for the variables: `  NAME  key: description`. */
export function environmentHelp(spec: ConfigSpec, width: number): string {
  return Object.entries(environmentSummary(spec))
    .map(([name, text]) => `  ${name.padEnd(width)} ${text}`)
    .join('\n');
}

/** Each variable with what it does, as `--help` and the docs say it: "grpc.port: the gRPC port". */
export function environmentSummary(spec: ConfigSpec): Record<string, string> {
  return Object.fromEntries(
    Object.entries(spec.environment).map(([name, variable]) => {
      const keys = keysOfVariable(variable);
      return [name, keys.length === 0 ? variable.description : `${keys.join(', ')}: ${variable.description}`];
    }),
  );
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (text: string) => (text === '' ? '' : `\`${text}\``);

/** A markdown table of a schema's keys (and the variables that set them, with a spec). */
export function settingsTable(schema: $ZodType, spec?: ConfigSpec): string {
  const rows = settingRows(schema, spec);
  const withVariables = spec !== undefined;
  const header = withVariables
    ? '| key | type | default | environment | description |\n|---|---|---|---|---|'
    : '| key | type | default | description |\n|---|---|---|---|';
  const lines = rows.map((row) => {
    const plain = ['required', 'required in its section', 'unset'].includes(row.defaultValue);
    const value = plain ? row.defaultValue : code(row.defaultValue);
    const key = row.note === '' ? code(row.key) : `${code(row.key)} (${row.note})`;
    const cells = [key, cell(row.type), cell(value)];
    if (withVariables) cells.push(row.variables.map(code).join(' '));
    cells.push(cell(row.description));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, ...lines].join('\n');
}

/** A markdown table of the variables that set no single key (the file's variable, tokens read at start). */
export function otherVariablesTable(spec: ConfigSpec): string {
  const rows = Object.entries(spec.environment).filter(([, variable]) => variable.key === undefined);
  return [
    '| variable | description |',
    '|---|---|',
    ...rows.map(([name, variable]) => `| ${code(name)} | ${cell(variable.description)} |`),
  ].join('\n');
}

/** The reference of a service's configuration: a table of its keys, then its variables that set no key. */
export function serviceReference(spec: ConfigSpec): string {
  return [
    settingsTable(spec.schema, spec),
    '',
    'Variables that set no key:',
    '',
    otherVariablesTable(spec),
  ].join('\n');
}

/**
 * A generated part of a docs page, between markers, so each part is checked by the test of the code it
 * is generated from: `<!-- generated: NAME -->` ... `<!-- end: NAME -->`.
 */
export function generatedPart(name: string, body: string): string {
  return `<!-- generated: ${name} (npm run docs) -->\n${body.trim()}\n<!-- end: ${name} -->`;
}

/** The part `name` of a page, markers included; undefined when the page has none. */
export function partOf(page: string, name: string): string | undefined {
  const start = page.indexOf(`<!-- generated: ${name} `);
  const endMarker = `<!-- end: ${name} -->`;
  const end = page.indexOf(endMarker, start);
  return start === -1 || end === -1 ? undefined : page.slice(start, end + endMarker.length);
}

/**
 * `page` with each named part replaced by its new body; the prose around the parts is kept. A page
 * lacking a part's markers is refused: the markers say where a part goes.
 */
export function replaceParts(page: string, parts: Readonly<Record<string, string>>): string {
  let out = page;
  for (const [name, body] of Object.entries(parts)) {
    const current = partOf(out, name);
    if (current === undefined) throw new Error(`the page has no part ${name}: add its two markers`);
    out = out.replace(current, () => generatedPart(name, body));
  }
  return out;
}
