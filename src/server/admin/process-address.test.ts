import { describe, expect, it } from 'vitest';
import { processAddress } from './process-address.js';

describe('processAddress', () => {
  it('names a process by the host it listens on and its port', () => {
    expect(processAddress('127.0.0.1', 8080)).toBe('127.0.0.1:8080');
    expect(processAddress('nexus-1.internal', 443)).toBe('nexus-1.internal:443');
  });

  it('writes an IPv6 literal in brackets', () => {
    expect(processAddress('::1', 8080)).toBe('[::1]:8080');
    expect(processAddress('[fe80::1]', 81)).toBe('[fe80::1]:81');
  });

  it('names a process listening on every interface after its machine', () => {
    expect(processAddress('0.0.0.0', 8080, () => 'web-3')).toBe('web-3:8080');
    expect(processAddress('::', 9000, () => 'web-4')).toBe('web-4:9000');
  });
});
