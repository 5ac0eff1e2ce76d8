import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { asDatabaseError } from './database-errors.js';

/** An error as `pg` raises it: a message, and a SQLSTATE or errno code when it has one. */
function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('asDatabaseError', () => {
  it('makes every kind of outage UNAVAILABLE, saying what happened and what to do', () => {
    const outages: Array<[Error, string]> = [
      [pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'connection refused'],
      [pgError('read ECONNRESET', 'ECONNRESET'), 'connection lost: ECONNRESET'],
      [
        pgError('terminating connection due to administrator command', '57P01'),
        'PostgreSQL ended the session as it shut down',
      ],
      [pgError('the database system is starting up', '57P03'), 'PostgreSQL is starting up or shutting down'],
      [pgError('sorry, too many clients already', '53300'), 'PostgreSQL has no connection slot left'],
      [pgError('Connection terminated unexpectedly'), 'connection lost'],
      [pgError('Client has encountered a connection error and is not queryable'), 'connection lost'],
    ];
    for (const [error, because] of outages) {
      const mapped = asDatabaseError(error);
      expect(mapped).toBeInstanceOf(CairnError);
      expect(mapped).toMatchObject({
        code: Code.Unavailable,
        message: `the control plane's database is unavailable (${because}); retry in a moment, and if it lasts, its operator should check that PostgreSQL is running and reachable`,
        details: { reason: 'database_unavailable' },
      });
      expect((mapped as CairnError).cause).toBe(error);
    }
  });

  it('leaves SQL errors and Cairn errors as they are', () => {
    const unique = pgError('duplicate key value violates unique constraint "x"', '23505');
    expect(asDatabaseError(unique)).toBe(unique);
    const syntax = pgError('syntax error at or near "selec"', '42601');
    expect(asDatabaseError(syntax)).toBe(syntax);
    const refusal = new CairnError(Code.NotFound, 'no such run');
    expect(asDatabaseError(refusal)).toBe(refusal);
    expect(asDatabaseError('text')).toBe('text');
  });
});
