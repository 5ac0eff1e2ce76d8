import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { REDACTED, redact } from './redact.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date('2024-01-02T03:04:05.000Z'),
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON line per call with time, level, message and fields', () => {
    const { logger, lines } = capture();
    logger.child({ service: 'cas' }).info('call', { method: 'Write', bytes: 10n });
    expect(lines).toEqual([
      {
        time: '2024-01-02T03:04:05.000Z',
        level: 'info',
        msg: 'call',
        service: 'cas',
        method: 'Write',
        bytes: '10',
      },
    ]);
  });

  it('drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(lines.map((line) => line.msg)).toEqual(['c', 'd']);
  });

  it('never writes tokens or credentials', () => {
    const { logger, lines } = capture();
    logger.error('failed', {
      authorization: `Bearer ${JWT}`,
      accessToken: 'abc',
      credentials: { secretAccessKey: 'x' },
      note: `token was ${JWT} and url /v1/blobs/x?t=${JWT}&a=1`,
      error: new Error(`upstream said Bearer ${JWT}`),
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('abc');
    expect(lines[0]).toMatchObject({ authorization: REDACTED, accessToken: REDACTED, credentials: REDACTED });
    expect(lines[0]?.note).toBe(`token was ${REDACTED} and url /v1/blobs/x?t=${REDACTED}&a=1`);
  });

  it('keeps harmless fields whose names merely contain a secret-ish word', () => {
    expect(redact({ tokenCount: 1, secretRef: 'orgs/a/b', keyId: 'k1', sub: 'alice' })).toEqual({
      tokenCount: 1,
      secretRef: 'orgs/a/b',
      keyId: 'k1',
      sub: 'alice',
    });
  });

  it('bounds depth on deep objects', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(JSON.stringify(redact(deep))).toContain('[…]');
  });
});
