import { CairnError, Code } from '@cairn/errors';

/**
 * Explains a failed file-system call of the file secret store. Errno errors carry only paths and codes,
 * never file content, so they are kept as the cause for the server log.
 */
export function fileSystemError(
  error: unknown,
  action: 'read' | 'write' | 'delete',
  directory: string,
): CairnError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new CairnError(
        Code.FailedPrecondition,
        `the file secret store cannot ${action} in ${directory} (${code}); make the directory readable and writable by this process`,
        { cause: error, details: { reason: 'secret_store_permissions' } },
      );
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return new CairnError(
        Code.FailedPrecondition,
        `the file secret store path ${directory} is not a directory of secret files (${code}); point the store at its own directory`,
        { cause: error },
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new CairnError(
        Code.ResourceExhausted,
        `no space left to ${action} secrets in ${directory}; free some space`,
        {
          cause: error,
        },
      );
    default:
      return new CairnError(
        Code.Internal,
        `the file secret store failed to ${action} in ${directory}; see the server log`,
        {
          cause: error,
        },
      );
  }
}
