#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432 node
// The malloc settings of @cairn/malloc-tunables, given where glibc reads them (at startup) by the line
// above, for `cairn` run as a command (the .bin link, $PATH). A transfer allocates a fresh buffer per
// MiB moved, which glibc's default trimming makes the kernel fault in again: a 512 MiB upload took 0.7–0.8 s
// of system time with the settings and 1.3–1.7 s without (2.3–3.5 s against 3.4–4.0 s of CPU in all, four
// runs each). The line replaces a GLIBC_TUNABLES of the caller's; GNU and BSD env split `-S`; where the C
// library is not glibc the variable means nothing; `node bin/cairn.js` skips the line and runs with
// glibc's defaults.
//
// It runs the JavaScript that `npm run build` (part of `npm ci`) bundled into dist/.
try {
  await import('../dist/cairn.mjs');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('cairn.mjs')) throw error;
  process.stderr.write('cairn: this checkout has no built CLI; run `npm run build` in it first\n');
  process.exitCode = 1;
}
