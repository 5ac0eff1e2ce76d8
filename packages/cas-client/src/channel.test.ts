import { describe, expect, it } from 'vitest';
import { parseTarget } from './channel.js';

describe('parseTarget', () => {
  it.each([
    ['127.0.0.1:9001', '127.0.0.1:9001', false],
    ['grpc://cas.local:9001', 'cas.local:9001', false],
    ['http://cas.local:9001/', 'cas.local:9001', false],
    ['grpcs://cas.example.com:443', 'cas.example.com:443', true],
    ['https://cas.example.com', 'cas.example.com', true],
  ])('%s dials %s (TLS: %s)', (address, target, secure) => {
    const parsed = parseTarget(address);
    expect(parsed.target).toBe(target);
    expect(parsed.credentials._isSecure()).toBe(secure);
  });
});
