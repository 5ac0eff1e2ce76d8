import { CairnError, Code, isAbortError } from '@cairn/errors';

/** The errno name of a Node filesystem error (`ENOENT`, `EACCES`...), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a filesystem error into a CairnError that tells an operator what to fix. Messages name the
 * backend's directory (configuration, not a secret) and `action` ("store a blob", "read a blob"...).
 */
export function fromFilesystemError(error: unknown, directory: string, action: string): CairnError {
  if (error instanceof CairnError) return error;
  if (isAbortError(error)) return new CairnError(Code.Canceled, `${action} was canceled`, { cause: error });
  const errno = errnoOf(error);
  const details = errno ? { errno } : {};
  const make = (code: Code, message: string) => new CairnError(code, message, { cause: error, details });
  switch (errno) {
    case 'EACCES':
    case 'EPERM':
      return make(
        Code.PermissionDenied,
        `cannot ${action} in ${directory}: permission denied; give the CAS's user read and write access to that directory`,
      );
    case 'EROFS':
      return make(
        Code.FailedPrecondition,
        `cannot ${action} in ${directory}: it is on a read-only filesystem; mount it read-write or choose another directory`,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return make(
        Code.ResourceExhausted,
        `cannot ${action} in ${directory}: no space left on its device (or the quota is used up); free space or choose another directory`,
      );
    case 'ENOTDIR':
    case 'EEXIST':
    case 'ELOOP':
      return make(
        Code.FailedPrecondition,
        `cannot ${action} in ${directory}: that path or one of its parents is not a directory; configure a directory path`,
      );
    case 'ENAMETOOLONG':
      return make(
        Code.InvalidArgument,
        `cannot ${action} in ${directory}: the path is too long; choose a shorter one`,
      );
    case 'EMFILE':
    case 'ENFILE':
      return make(Code.Unavailable, `cannot ${action} in ${directory}: too many open files; retry later`);
    case 'ENOENT':
    case 'ESTALE':
    case 'ENOTCONN':
    case 'EHOSTDOWN':
    case 'ETIMEDOUT':
    case 'ENODEV':
    case 'ENXIO':
      // The ENOENTs a driver expects (a blob not stored, a missing root) are handled before they get here:
      // this one is the directory, or the volume under it, going away while in use.
      return make(
        Code.Unavailable,
        `cannot ${action} in ${directory}: the directory, or the volume it is on, went away while in use (${errno}); check that it is mounted and in place, then retry`,
      );
    case 'EIO':
      return make(
        Code.Unavailable,
        `cannot ${action} in ${directory}: the device reported an I/O error; check its health`,
      );
    default:
      return make(
        Code.Internal,
        `cannot ${action} in ${directory}: unexpected filesystem error ${errno ?? ''}`.trim(),
      );
  }
}
