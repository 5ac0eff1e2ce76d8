import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConfig } from './config-loader.js';
import {
  environmentHelp,
  generatedPart,
  partOf,
  replaceParts,
  serviceReference,
  settingRows,
} from './config-reference.js';

const SPEC = defineConfig({
  service: 'test',
  schema: z.strictObject({
    port: z.int().min(0).max(65_535).default(9000).describe('the port'),
    dataDir: z.string().meta({ path: true, description: 'state', defaultText: '<home>/data' }).optional(),
    store: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('file').default('file'), directory: z.string().optional() }),
        z.strictObject({ kind: z.literal('vault'), endpoint: z.string().describe('Vault URL') }),
      ])
      .describe('the store')
      .prefault({ kind: 'file' }),
    extra: z.strictObject({ name: z.string().describe('a name') }).optional(),
  }),
  fileVariable: 'TEST_CONFIG',
  environment: {
    TEST_CONFIG: { description: 'the config file' },
    TEST_PORT: { key: 'port', description: 'the port' },
    TEST_TOKEN: { description: 'a token read at start' },
  },
});

describe('settingRows', () => {
  it('flattens sections, marks the keys of each kind, and says what is required where', () => {
    expect(settingRows(SPEC.schema, SPEC)).toEqual([
      {
        key: 'port',
        note: '',
        type: 'integer from 0 to 65535',
        defaultValue: '9000',
        description: 'the port',
        variables: ['TEST_PORT'],
      },
      {
        key: 'dataDir',
        note: '',
        type: 'path',
        defaultValue: '<home>/data',
        description: 'state',
        variables: [],
      },
      {
        key: 'store.kind',
        note: '',
        type: 'one of file, vault',
        defaultValue: 'file',
        description: 'the store',
        variables: [],
      },
      {
        key: 'store.directory',
        note: 'kind file',
        type: 'non-empty string',
        defaultValue: 'unset',
        description: '',
        variables: [],
      },
      {
        key: 'store.endpoint',
        note: 'kind vault',
        type: 'non-empty string',
        defaultValue: 'required in its section',
        description: 'Vault URL',
        variables: [],
      },
      {
        key: 'extra.name',
        note: '',
        type: 'non-empty string',
        defaultValue: 'required in its section',
        description: 'a name',
        variables: [],
      },
    ]);
  });

  it('renders the variables that set no key apart, and --help from the same table', () => {
    expect(serviceReference(SPEC)).toContain('| `TEST_TOKEN` | a token read at start |');
    expect(serviceReference(SPEC)).toContain(
      '| `store.endpoint` (kind vault) | non-empty string | required in its section |  | Vault URL |',
    );
    expect(environmentHelp(SPEC, 12)).toBe(
      [
        '  TEST_CONFIG  the config file',
        '  TEST_PORT    port: the port',
        '  TEST_TOKEN   a token read at start',
      ].join('\n'),
    );
  });
});

describe('generated parts of a page', () => {
  it('replace only what is between their markers, and refuse a page without them', () => {
    const page = `# Title\n\nprose\n\n${generatedPart('a', 'old')}\n\nmore prose\n`;
    const next = replaceParts(page, { a: 'new table' });
    expect(next).toBe(`# Title\n\nprose\n\n${generatedPart('a', 'new table')}\n\nmore prose\n`);
    expect(partOf(next, 'a')).toBe('<!-- generated: a (npm run docs) -->\nnew table\n<!-- end: a -->');
    expect(() => replaceParts(page, { b: 'x' })).toThrow('the page has no part b');
  });
});
