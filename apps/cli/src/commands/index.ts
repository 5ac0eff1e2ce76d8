import type { Command } from '../command.js';
import { artifactDownload } from './artifact-download.js';
import { artifactUpload } from './artifact-upload.js';
import { backendAdd } from './backend-add.js';
import { backendList } from './backend-list.js';
import { backendRevalidate } from './backend-revalidate.js';
import { backendSetDefault, backendSetFallback } from './backend-role.js';
import { devToken } from './dev-token.js';
import { tokenCreate } from './token-create.js';

/** Every command, in the order help lists them. */
export const commands: readonly Command[] = [
  artifactUpload,
  artifactDownload,
  backendList,
  backendAdd,
  backendSetDefault,
  backendSetFallback,
  backendRevalidate,
  tokenCreate,
  devToken,
];
