// Builds the `cairn` command ahead of time: one ESM bundle with every dependency inside (dist/), so
// a call starts node on plain JavaScript — no TypeScript loader, no workspace, no node_modules —
// and `npm run pack:cli` can ship it alone. Commands load their code on use (code splitting), so
// `cairn --version` reads only the command tree.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;
await rm(`${here}dist`, { recursive: true, force: true });
await build({
  entryPoints: { cairn: `${here}src/main.ts` },
  outdir: `${here}dist`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only: a third less JavaScript for node to parse on every call (the flow of
  // bench:cli spends much of each call compiling), while names stay readable in --debug stacks.
  minifyWhitespace: true,
  minifySyntax: true,
  // grpc-js loads proto-loader (and protobufjs under it) only for channelz and ORCA, which a client never
  // serves; bundling it would add ~0.4 MB to parse on every call.
  external: ['@grpc/proto-loader'],
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies (grpc-js, jose's node build) call require() for node's own modules, which an
  // ES module lacks: give each output file one.
  banner: {
    js: "import { createRequire as __cairnRequire } from 'node:module'; const require = __cairnRequire(import.meta.url);",
  },
});
