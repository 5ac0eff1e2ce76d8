import {
  type CommandContext,
  controlPlaneOptions,
  helpOption,
  jsonOption,
  type OptionSpec,
} from '../command.js';
import { printResult } from '../output.js';
import { type BackendMessage, backendTable, backendView } from './backend-view.js';

/** The options of a command about one existing backend, named by `--name`. */
export const namedBackendOptions: Readonly<Record<string, OptionSpec>> = {
  name: { type: 'string', value: 'NAME', description: 'the backend (see `cairn backend list`)' },
  ...controlPlaneOptions,
  ...jsonOption,
  ...helpOption,
};

/** Prints one backend as a one-row table, or `{"backend": …}` with --json. */
export function printBackend(context: CommandContext, backend: BackendMessage): void {
  const view = backendView(backend);
  printResult(context, backendTable([view]), { backend: view });
}
