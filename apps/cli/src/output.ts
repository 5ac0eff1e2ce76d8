import Table from 'cli-table3';
import type { CommandContext } from './context.js';
import { writeLine } from './io.js';

/** A command's result: `table` for people (text), `json` for scripts (one JSON document). */
export interface Printable {
  readonly table: string | (() => string);
  readonly json: unknown;
}

/** Prints a result on stdout in the format the user chose. */
export function printResult(context: CommandContext, result: Printable): void {
  if (context.format === 'json') {
    writeLine(context.io.stdout, JSON.stringify(result.json, null, 2));
    return;
  }
  writeLine(context.io.stdout, typeof result.table === 'string' ? result.table : result.table());
}

/** A note for the person at the terminal (retries, warnings); never on stdout, which carries results. */
export function printNote(context: CommandContext, note: string): void {
  writeLine(context.io.stderr, `cairn: ${note}`);
}

// Borderless columns two spaces apart, as kubectl prints them: easy to read, and to cut with awk.
const PLAIN = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Aligned columns under a header row, with no colour or borders. */
export function renderTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const table = new Table({
    head: [...head],
    chars: PLAIN,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Key/value lines for one object, e.g. a workflow run: `NAME   value`. */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
