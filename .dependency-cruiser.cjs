// The import rules of the repository, checked by `npm run lint:layers` (part of `npm test`).
//
// Inside an app the layers are, top to bottom: main.ts → app/ → server/ → service/ → biz/ → data/; a layer
// imports only the ones below it (config/ is read by main.ts and app/ only). Packages never import an app,
// and an app's production code never imports another app. Production code never imports a testing/ module
// or vitest. Tests (*.test.ts) and testing/ helpers may reach anywhere: they start real services.

const TEST = '(\\.test\\.ts$|/testing/|vitest\\.config\\.ts$)';
const APP = '^apps/[^/]+/src/';

/** A rule that files of `layer` (a folder of an app's src/) import none of `above`. */
function layer(name, above) {
  return {
    name: `${name}-imports-upward`,
    comment: `${name}/ imports only the layers below it (${above.join(', ')} are above it)`,
    severity: 'error',
    from: { path: `${APP}${name}/`, pathNot: TEST },
    to: { path: `${APP}(${above.join('|')})(/|\\.ts$)` },
  };
}

module.exports = {
  forbidden: [
    layer('data', ['biz', 'service', 'server', 'app', 'config', 'main']),
    layer('biz', ['service', 'server', 'app', 'config', 'main']),
    layer('service', ['server', 'app', 'config', 'main']),
    layer('server', ['app', 'config', 'main']),
    layer('app', ['main']),
    {
      name: 'package-imports-app',
      comment: 'a package is a library: it never depends on an app',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'app-imports-other-app',
      comment: "an app's production code never depends on another app (tests may start one)",
      severity: 'error',
      from: { path: '^apps/([^/]+)/', pathNot: TEST },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'cli-reaches-full-zod',
      comment:
        "the CLI's commands read .cairn/cli.json with zod/mini: full zod builds its schemas at import, about 0.1 s of every call (bench:cli)",
      severity: 'error',
      from: { path: '^apps/cli/src/', pathNot: TEST },
      to: { path: '^node_modules/zod/(index|v4/classic/)', reachable: true },
    },
    {
      name: 'production-imports-testing',
      comment: 'test helpers and vitest stay out of production code',
      severity: 'error',
      from: { path: '^(apps|packages)/', pathNot: TEST },
      to: { path: '(/testing/|^node_modules/vitest/|^node_modules/@vitest/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(apps|packages)/[^/]+/(src/gen|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Workspace packages are symlinks in node_modules: follow them to the source they name.
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
  },
};
