import type { CommandContext } from '../context.js';
import { printResult } from '../output.js';
import { type BackendMessage, backendTable, backendView } from './backend-view.js';

/** One backend as a one-row table, or `{"backend": …}` as JSON. */
export function printBackend(context: CommandContext, backend: BackendMessage): void {
  const view = backendView(backend);
  printResult(context, { table: () => backendTable([view], true), json: { backend: view } });
}
