// The part of fs-native-extensions (which ships no types) that folder-lock.ts uses.
declare module 'fs-native-extensions' {
  /**
   * Takes an advisory lock on the whole file without waiting: true when granted, false when another open
   * of the file holds it. An OFD lock (`fcntl(F_OFD_SETLK)`) on Linux, `flock` on macOS, `LockFileEx` on
   * Windows; throws an Error with a `code` for anything else (a file system without locks, say).
   */
  export function tryLock(fd: number, options?: { readonly shared?: boolean }): boolean;
}
