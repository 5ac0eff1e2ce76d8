import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('cancels a running call with CANCELED, and waits for the calls still running', async () => {
    const inFlight = new InFlight();
    const first = inFlight.begin();
    const second = inFlight.begin();
    expect(inFlight.size).toBe(2);
    first.abort();
    expect(first.signal.aborted).toBe(true);
    expect(first.signal.reason).toMatchObject({ code: Code.Canceled });
    expect(second.signal.aborted).toBe(false);
    first.finish();
    const drained = inFlight.drained(5_000);
    second.finish();
    second.finish();
    await expect(drained).resolves.toBe(true);
    expect(inFlight.size).toBe(0);
  });

  it('leaves the signal of a finished call alone when a cancel is reported after its end', () => {
    const inFlight = new InFlight();
    const call = inFlight.begin();
    call.finish();
    call.abort();
    expect(call.signal.aborted).toBe(false);
  });

  it('cancels what is left at the end of the grace, naming the service', async () => {
    const inFlight = new InFlight();
    const call = inFlight.begin();
    await expect(inFlight.drained(10)).resolves.toBe(false);
    inFlight.cancelAll('control plane');
    expect(call.signal.reason).toMatchObject({ code: Code.Unavailable });
  });
});
