import { describe, expect, it } from 'vitest';
import type { BrokerHealth } from '../broker/index.js';
import { HealthNotice } from './health-notice.js';

const UP: BrokerHealth = { healthy: true, details: { redis: 'up' } };
const DOWN: BrokerHealth = { healthy: false, details: { redis: 'down' } };
const REFUSING: BrokerHealth = { healthy: false, details: { redis: 'refusing writes' } };

function watch(first: BrokerHealth) {
  let health = first;
  let now = 1000;
  const notice = new HealthNotice(
    () => health,
    () => now,
  );
  return {
    notice,
    set: (next: BrokerHealth, at: number) => {
      health = next;
      now = at;
    },
  };
}

describe('HealthNotice', () => {
  it('gives a frame only when the health changed, stamped when the change was seen', () => {
    const { notice, set } = watch(UP);
    expect(notice.check()).toBeUndefined();
    expect(notice.forNewConnection).toBeUndefined();
    set(DOWN, 2000);
    expect(notice.check()).toEqual({ type: 'health', status: 'degraded', redis: 'down', timestamp: 2000 });
    set(DOWN, 3000);
    expect(notice.check()).toBeUndefined();
    expect(notice.forNewConnection).toEqual({ type: 'health', status: 'degraded', redis: 'down', timestamp: 2000 });
    set(REFUSING, 4000);
    expect(notice.check()).toMatchObject({ status: 'degraded', redis: 'refusing writes', timestamp: 4000 });
    set(UP, 5000);
    expect(notice.check()).toEqual({ type: 'health', status: 'ok', redis: 'up', timestamp: 5000 });
    expect(notice.forNewConnection).toBeUndefined();
  });

  it('tells a connection opened while degraded from the start', () => {
    expect(watch(DOWN).notice.forNewConnection).toEqual({
      type: 'health',
      status: 'degraded',
      redis: 'down',
      timestamp: 1000,
    });
  });

  it('has nothing to tell without a Redis state (in-memory broker)', () => {
    const { notice } = watch({ healthy: true, details: {} });
    expect(notice.check()).toBeUndefined();
    expect(notice.forNewConnection).toBeUndefined();
  });
});
