import type { CommandContext } from './command.js';
import { writeLine } from './io.js';

/** Prints a command's result: `text` for people, `json` (one line) with `--json` for scripts. */
export function printResult(context: CommandContext, text: string, json: Record<string, unknown>): void {
  writeLine(context.io.stdout, context.json ? JSON.stringify(json) : text);
}

/** A note for the person at the terminal (retries and the like); never on stdout, which carries results. */
export function printNote(context: CommandContext, note: string): void {
  writeLine(context.io.stderr, `cairn: ${note}`);
}
