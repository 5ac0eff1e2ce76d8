// The test projects: every workspace with tests. Vitest 4 reads them from `test.projects` in
// vitest.config.ts, which imports this list.
export const projects = ['packages/*', 'apps/*', 'e2e'];
