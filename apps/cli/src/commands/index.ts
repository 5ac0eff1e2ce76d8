import type { Command } from '../command.js';
import { artifactDownload } from './artifact-download.js';
import { artifactUpload } from './artifact-upload.js';
import { devToken } from './dev-token.js';

/** Every command, in the order help lists them. */
export const commands: readonly Command[] = [artifactUpload, artifactDownload, devToken];
