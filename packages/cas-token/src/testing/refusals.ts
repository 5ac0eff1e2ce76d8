import { CairnError, type Code } from '@cairn/errors';
import { expect } from 'vitest';

/**
 * Asserts that `attempt` is refused with `code` and `reason`, and that neither the message nor the
 * details quote any part of the token.
 */
export async function expectRefusal(attempt: Promise<unknown>, token: string, code: Code, reason: string) {
  const error = await attempt.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(CairnError);
  const refusal = error as CairnError;
  expect({ code: refusal.code, reason: refusal.details.reason }).toEqual({ code, reason });
  const said = `${refusal.message} ${JSON.stringify(refusal.details)}`;
  for (const part of token.split('.').filter((segment) => segment.length >= 8)) {
    expect(said).not.toContain(part);
  }
  return refusal;
}
