import { describe, expect, it } from 'vitest';
import { connectionsPath, toConnectionList } from './admin-api';

describe('admin connections', () => {
  it('asks for the largest page, with the filters', () => {
    expect(connectionsPath({ userId: '', channel: '' })).toBe('/api/admin/connections?limit=5000');
    expect(connectionsPath({ userId: ' ann ', channel: 'tel' })).toBe(
      '/api/admin/connections?limit=5000&userId=ann&channel=tel',
    );
  });

  it('says when the deployment holds more than the page, and which processes did not answer', () => {
    const more = toConnectionList([], new Headers({ 'X-Nexus-Next': 'abc', 'X-Nexus-Missing-Processes': 'p1,p2' }));
    expect(more).toMatchObject({ more: true, missing: ['p1', 'p2'] });
    const all = toConnectionList([], new Headers({ 'X-Nexus-Max-Buffered': '1024' }));
    expect(all).toEqual({ connections: [], more: false, missing: [], maxBufferedBytes: 1024 });
  });
});
