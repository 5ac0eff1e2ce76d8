import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkSettings, defineConfig, loadConfig, parseConfig, readConfigFile } from './config-loader.js';

const path = (description: string) => z.string().meta({ path: true, description });

const store = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file').default('file'), directory: path('store folder').optional() }),
  z.strictObject({
    kind: z.literal('vault'),
    endpoint: z.string(),
    token: z.string().optional(),
    prefix: z.string().meta({ allowEmpty: true }).optional(),
  }),
]);

const SPEC = defineConfig({
  service: 'test',
  schema: z.strictObject({
    dataDir: path('state').default('data'),
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.int().min(0).max(65_535).default(9000),
        tls: z.boolean().default(false),
      })
      .prefault({}),
    roots: z.array(path('a root')).default([]),
    tags: z.array(z.string()).default([]),
    keyFile: path('a key').optional(),
    level: z.enum(['debug', 'info']).default('info'),
    store: store.prefault({ kind: 'file' }),
    apiToken: z.string().optional(),
  }),
  fileVariable: 'TEST_CONFIG',
  environment: {
    TEST_CONFIG: { description: 'the config file' },
    TEST_DATA_DIR: { key: 'dataDir', description: 'state' },
    TEST_HOST: { key: ['server.host'], description: 'host' },
    TEST_PORT: { key: 'server.port', description: 'port' },
    TEST_TLS: { key: 'server.tls', description: 'tls' },
    TEST_ROOTS: { key: 'roots', separator: ':', relativeTo: 'working-directory', description: 'roots' },
    TEST_TAGS: { key: 'tags', description: 'tags' },
    TEST_KEY_FILE: { key: 'keyFile', relativeTo: 'working-directory', description: 'key' },
    TEST_LEVEL: { key: 'level', description: 'level' },
    TEST_STORE: { key: 'store', description: 'the store as JSON' },
    TEST_STORE_KIND: { key: 'store.kind', description: 'kind' },
    TEST_STORE_DIR: { key: 'store.directory', description: 'folder' },
    TEST_VAULT_ADDR: { key: 'store.endpoint', description: 'endpoint' },
    TEST_API_TOKEN: { key: 'apiToken', replaces: ['keyFile'], description: 'token' },
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-config-loader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, contents: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return file;
}

function refusal(work: () => unknown): CairnError {
  try {
    work();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function asyncRefusal(work: Promise<unknown>): Promise<CairnError> {
  const error = await work.then(
    () => new Error('expected a refusal'),
    (reason: unknown) => reason,
  );
  if (error instanceof CairnError) return error;
  throw error;
}

describe('parseConfig', () => {
  it('fills every default once, beside what the input gives, and gives the same on a complete config', () => {
    const config = parseConfig(SPEC, { server: { port: 1 } }, { baseDir: '/etc/test' });
    expect(config).toEqual({
      dataDir: '/etc/test/data',
      server: { host: '127.0.0.1', port: 1, tls: false },
      roots: [],
      tags: [],
      level: 'info',
      store: { kind: 'file' },
    });
    expect(parseConfig(SPEC, config, { baseDir: '/elsewhere' })).toEqual(config);
  });

  it('takes a config given in code as it is, objects the schema does not look into included', () => {
    const keys = { sign: () => 'signed' };
    const spec = defineConfig({
      service: 'test',
      schema: z.strictObject({ keys: z.custom<object>((value) => typeof value === 'object').optional() }),
      fileVariable: 'C',
      environment: { C: { description: 'file' } },
    });
    expect(parseConfig(spec, { keys }).keys).toBe(keys);
  });

  it('refuses an unknown key, naming it, its source and the keys its section takes', () => {
    const error = refusal(() => parseConfig(SPEC, { server: { prot: 1 } }, { source: '/etc/test.json' }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toBe(
      '/etc/test.json: config key server.prot is not a test setting (server takes host, port, tls)',
    );
    expect(refusal(() => parseConfig(SPEC, { colour: 'blue' })).message).toMatch(
      /^the test config: config key colour is not a test setting \(the config takes dataDir, server, /,
    );
    expect(refusal(() => parseConfig(SPEC, { store: { kind: 'file', endpoint: 'x' } })).message).toMatch(
      /config key store\.endpoint is not a test setting \(store of kind file takes kind, directory\)$/,
    );
  });

  it('says what a value must be, in one line', () => {
    const cases: [unknown, string][] = [
      [{ server: { port: 70_000 } }, 'config key server.port must be an integer from 0 to 65535'],
      [{ server: { port: 1.5 } }, 'config key server.port must be an integer from 0 to 65535'],
      [{ server: { tls: 'yes' } }, 'config key server.tls must be true or false'],
      [{ level: 'loud' }, 'config key level must be one of debug, info'],
      [{ roots: 'a' }, 'config key roots must be a list of non-empty strings'],
      [{ server: 5 }, 'config key server must be an object'],
      [{ store: { kind: 'cloud' } }, 'config key store.kind must be one of file, vault'],
      [
        { store: { kind: 'vault' } },
        'config key store.endpoint is required: a non-empty string (or set TEST_VAULT_ADDR)',
      ],
      [[], 'the settings must be a JSON object'],
    ];
    for (const [input, message] of cases) {
      const error = refusal(() => parseConfig(SPEC, input, { source: 'f.json' }));
      expect(error.message).toBe(`f.json: ${message}`);
      expect(error.details).toMatchObject({ reason: 'bad_config', source: 'f.json' });
    }
  });

  describe('one rule for null and empty values', () => {
    it('refuses null in a file: a key is left out for its default', () => {
      expect(refusal(() => parseConfig(SPEC, { server: { port: null } })).message).toBe(
        'the test config: config key server.port must be an integer from 0 to 65535, not null (leave the key out for its default)',
      );
      expect(refusal(() => parseConfig(SPEC, { store: { kind: 'vault', endpoint: null } })).message).toBe(
        'the test config: config key store.endpoint must be a non-empty string, not null',
      );
    });

    it('refuses an empty or blank string, in a value or a list, unless the setting says "" means something', () => {
      expect(refusal(() => parseConfig(SPEC, { server: { host: '' } })).message).toBe(
        'the test config: config key server.host must be a non-empty string',
      );
      expect(refusal(() => parseConfig(SPEC, { dataDir: '  ' })).message).toMatch(
        /dataDir must be a non-empty/,
      );
      expect(refusal(() => parseConfig(SPEC, { tags: ['a', ''] })).message).toMatch(
        /config key tags must be a list of non-empty strings$/,
      );
      expect(
        parseConfig(SPEC, { store: { kind: 'vault', endpoint: 'https://v', prefix: '' } }).store,
      ).toEqual({
        kind: 'vault',
        endpoint: 'https://v',
        prefix: '',
      });
    });

    it('takes a variable set to "" as unset', () => {
      const config = parseConfig(SPEC, { server: { port: 1 } }, { env: { TEST_PORT: '', TEST_HOST: '' } });
      expect(config.server).toEqual({ host: '127.0.0.1', port: 1, tls: false });
    });
  });

  describe('environment variables', () => {
    it('override single keys with typed values', () => {
      const config = parseConfig(
        SPEC,
        { server: { port: 1, host: 'file-host' }, tags: ['from-file'] },
        {
          env: {
            TEST_PORT: ' 8080 ',
            TEST_TLS: '1',
            TEST_TAGS: 'a,,b',
            TEST_LEVEL: 'debug',
            TEST_HOST: 'env-host',
          },
        },
      );
      expect(config.server).toEqual({ host: 'env-host', port: 8080, tls: true });
      expect(config.tags).toEqual(['a', 'b']);
      expect(config.level).toBe('debug');
      for (const [word, value] of [
        ['true', true],
        ['FALSE', false],
        ['0', false],
      ] as const) {
        expect(parseConfig(SPEC, {}, { env: { TEST_TLS: word } }).server.tls).toBe(value);
      }
    });

    it('are refused naming the variable and the key, without their value', () => {
      const cases: [Record<string, string>, string][] = [
        [{ TEST_PORT: 'ninety' }, 'TEST_PORT: config key server.port must be an integer from 0 to 65535'],
        [{ TEST_PORT: '70000' }, 'TEST_PORT: config key server.port must be an integer from 0 to 65535'],
        [{ TEST_TLS: 'yes' }, 'TEST_TLS: config key server.tls must be true or false (or 1 or 0)'],
        [{ TEST_LEVEL: 'loud' }, 'TEST_LEVEL: config key level must be one of debug, info'],
        [{ TEST_STORE_KIND: 'cloud' }, 'TEST_STORE_KIND: config key store.kind must be one of file, vault'],
      ];
      for (const [env, message] of cases) {
        const error = refusal(() => parseConfig(SPEC, {}, { env, source: 'f.json' }));
        expect(error.message).toBe(message);
        expect(error.code).toBe(Code.InvalidArgument);
      }
    });

    it('take a whole section as JSON, which narrower variables refine', () => {
      const config = parseConfig(
        SPEC,
        { store: { kind: 'file', directory: 'from-file' } },
        { env: { TEST_STORE: '{"kind":"vault","endpoint":"https://a"}', TEST_VAULT_ADDR: 'https://b' } },
      );
      expect(config.store).toEqual({ kind: 'vault', endpoint: 'https://b' });
      expect(
        refusal(() => parseConfig(SPEC, {}, { env: { TEST_STORE: '{"kind":"file","x":1}' } })).message,
      ).toBe(
        'TEST_STORE: config key store.x is not a test setting (store of kind file takes kind, directory)',
      );
    });

    it('switch a section to another kind, leaving unused the variables and file keys of the kind not chosen', () => {
      const toVault = parseConfig(
        SPEC,
        { store: { kind: 'file', directory: '/s' } },
        { env: { TEST_STORE_KIND: 'vault', TEST_VAULT_ADDR: 'https://v', TEST_STORE_DIR: '/t' } },
      );
      expect(toVault.store).toEqual({ kind: 'vault', endpoint: 'https://v' });
      const stillFile = parseConfig(
        SPEC,
        {},
        { env: { TEST_VAULT_ADDR: 'https://v', TEST_STORE_DIR: '/t' } },
      );
      expect(stillFile.store).toEqual({ kind: 'file', directory: '/t' });
      const sameKind = parseConfig(
        SPEC,
        { store: { kind: 'vault', endpoint: 'https://v', token: 't' } },
        { env: { TEST_STORE_KIND: 'vault' } },
      );
      expect(sameKind.store).toEqual({ kind: 'vault', endpoint: 'https://v', token: 't' });
    });

    it('drop the file keys they stand instead of', () => {
      const config = parseConfig(SPEC, { keyFile: '/k' }, { env: { TEST_API_TOKEN: 'secret' } });
      expect(config).not.toHaveProperty('keyFile');
      expect(config.apiToken).toBe('secret');
    });
  });

  describe('paths', () => {
    it('resolve against the config folder, from the file, the defaults and the environment alike', () => {
      const config = parseConfig(
        SPEC,
        { keyFile: 'keys/k.json', roots: ['a', '/abs'], store: { directory: 'secrets' } },
        { baseDir: '/etc/test', cwd: '/work' },
      );
      expect(config.dataDir).toBe('/etc/test/data');
      expect(config.keyFile).toBe('/etc/test/keys/k.json');
      expect(config.roots).toEqual(['/etc/test/a', '/abs']);
      expect(config.store).toEqual({ kind: 'file', directory: '/etc/test/secrets' });
      const fromEnv = parseConfig(
        SPEC,
        {},
        { baseDir: '/etc/test', cwd: '/work', env: { TEST_DATA_DIR: 'state' } },
      );
      expect(fromEnv.dataDir).toBe('/etc/test/state');
    });

    it('resolve against the working directory for the variables that say so; absolute paths and URLs stay', () => {
      const config = parseConfig(
        SPEC,
        {},
        { baseDir: '/etc/test', cwd: '/work', env: { TEST_ROOTS: 'a:/b:', TEST_KEY_FILE: 'k.json' } },
      );
      expect(config.roots).toEqual(['/work/a', '/b']);
      expect(config.keyFile).toBe('/work/k.json');
      expect(parseConfig(SPEC, { keyFile: 'https://keys/k.json' }, { baseDir: '/etc' }).keyFile).toBe(
        'https://keys/k.json',
      );
    });
  });

  it('never quotes a value: a secret at a wrong key, of a wrong type, or in bad JSON stays out of messages', () => {
    const secret = 's3cr3t-value';
    const messages = [
      refusal(() => parseConfig(SPEC, { store: { kind: 'file', token: secret } })).message,
      refusal(() => parseConfig(SPEC, { apiToken: [secret] })).message,
      refusal(() => parseConfig(SPEC, { level: secret })).message,
      refusal(() => parseConfig(SPEC, {}, { env: { TEST_STORE: `{"kind":"vault","token":"${secret}"` } }))
        .message,
      refusal(() => parseConfig(SPEC, {}, { env: { TEST_PORT: secret } })).message,
    ];
    expect(messages[3]).toBe(
      'TEST_STORE: config key store must be given as JSON (an object); the variable is not valid JSON',
    );
    for (const message of messages) {
      expect(message).not.toContain(secret);
      expect(message).not.toContain('\n');
    }
  });
});

describe('loadConfig', () => {
  it('reads the file named, or by the file variable, and names the file in its refusals', async () => {
    const file = await configFile('named.json', { server: { port: 1 }, keyFile: 'k.json' });
    const config = await loadConfig(SPEC, { file, env: {}, cwd: '/' });
    expect(config.server.port).toBe(1);
    expect(config.keyFile).toBe(join(dir, 'k.json'));
    expect(config.dataDir).toBe(join(dir, 'data'));
    const viaVariable = await loadConfig(SPEC, { env: { TEST_CONFIG: 'named.json' }, cwd: dir });
    expect(viaVariable).toEqual(config);

    const bad = await configFile('bad.json', { server: { port: 'x' } });
    expect((await asyncRefusal(loadConfig(SPEC, { file: bad, env: {} }))).message).toBe(
      `${bad}: config key server.port must be an integer from 0 to 65535`,
    );
  });

  it('works without a file, paths resolving against the working directory', async () => {
    const config = await loadConfig(SPEC, { env: { TEST_CONFIG: '', TEST_PORT: '7' }, cwd: '/work' });
    expect(config.dataDir).toBe('/work/data');
    expect(config.server.port).toBe(7);
    // A section whose kind a variable chose is that variable's to complete.
    expect((await asyncRefusal(loadConfig(SPEC, { env: { TEST_STORE_KIND: 'vault' } }))).message).toBe(
      'TEST_STORE_KIND: config key store.endpoint is required: a non-empty string (or set TEST_VAULT_ADDR)',
    );
  });

  it('refuses a file it cannot read (FAILED_PRECONDITION) or that is not JSON, quoting none of it', async () => {
    const missing = join(dir, 'missing.json');
    const unreadable = await asyncRefusal(loadConfig(SPEC, { file: missing, env: {} }));
    expect(unreadable.code).toBe(Code.FailedPrecondition);
    expect(unreadable.message).toBe(`${missing}: cannot read the test config file (ENOENT)`);
    // The CLI looks for its file in every parent folder: there, a missing one is no refusal.
    expect(await readConfigFile(missing, 'CLI config file', { optional: true })).toBeUndefined();

    const broken = await configFile('broken.json', '{ "apiToken": "s3cr3t-value" ');
    const notJson = await asyncRefusal(loadConfig(SPEC, { file: broken, env: {} }));
    expect(notJson.code).toBe(Code.InvalidArgument);
    expect(notJson.message).toMatch(new RegExp(`^${broken}: the test config file is not valid JSON`));
    expect(notJson.message).not.toContain('s3cr3t');
    expect(
      await readConfigFile(join(broken, 'below-a-file.json'), 'CLI config file', { optional: true }),
    ).toBe(undefined);

    const list = await configFile('list.json', '[]');
    expect((await asyncRefusal(loadConfig(SPEC, { file: list, env: {} }))).message).toBe(
      `${list}: the settings must be a JSON object`,
    );
  });
});

describe('defineConfig', () => {
  it('refuses a variable that names no setting, so a renamed key cannot leave it setting nothing', () => {
    expect(() =>
      defineConfig({
        service: 'test',
        schema: z.strictObject({ port: z.int().optional() }),
        fileVariable: 'C',
        environment: { C: { description: 'file' }, PORT: { key: 'prot', description: 'port' } },
      }),
    ).toThrow('test config: PORT names prot, which is not a setting');
  });
});

describe('checkSettings', () => {
  it('checks a value alone, with the status and advice the caller gives', () => {
    const schema = z.object({ dev: z.object({ issuer: z.string() }).optional() });
    const error = refusal(() =>
      checkSettings(
        schema,
        { dev: {} },
        {
          source: '/x/cli.json',
          service: 'CLI',
          code: Code.FailedPrecondition,
          advice: '; fix it',
        },
      ),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.message).toBe('/x/cli.json: config key dev.issuer is required: a non-empty string; fix it');
  });
});
