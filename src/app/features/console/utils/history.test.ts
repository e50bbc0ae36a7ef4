import { describe, expect, it } from 'vitest';
import { HISTORY_KEY, loadHistory, MAX_HISTORY, prependEntry, saveHistory, type HistoryEntry } from './history';

/** A Map-backed Storage, optionally with a quota in characters. */
function memoryStorage(quotaChars = Infinity): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => void data.delete(key),
    setItem: (key, value) => {
      if (value.length > quotaChars) throw new DOMException('quota', 'QuotaExceededError');
      data.set(key, value);
    },
  };
}

const entry = (i: number, payload = `{"i":${i}}`): HistoryEntry => ({
  id: `e${i}`,
  channel: 'events',
  payload,
  sentAtMs: i,
  outcome: { ok: true, seq: i },
});

describe('publish history storage', () => {
  it('round-trips entries', () => {
    const storage = memoryStorage();
    saveHistory([entry(2), entry(1)], storage);
    expect(loadHistory(storage)).toEqual([entry(2), entry(1)]);
  });

  it('reads garbage as an empty history', () => {
    const storage = memoryStorage();
    for (const raw of [
      'not json',
      '{"a":1}',
      '[{"id":1}]',
      '[{"id":"a","channel":"c","payload":"1","sentAtMs":1,"outcome":{"ok":"yes"}}]',
    ]) {
      storage.setItem(HISTORY_KEY, raw);
      expect(loadHistory(storage)).toEqual([]);
    }
    expect(loadHistory(undefined)).toEqual([]);
  });

  it('prepends newest first and keeps at most MAX_HISTORY', () => {
    let entries: HistoryEntry[] = [];
    for (let i = 0; i < MAX_HISTORY + 3; i++) entries = prependEntry(entries, entry(i));
    expect(entries).toHaveLength(MAX_HISTORY);
    expect(entries[0]?.id).toBe(`e${MAX_HISTORY + 2}`);
  });

  it('keeps the newest entries that fit when the quota is exceeded', () => {
    const storage = memoryStorage(2_000);
    const big = Array.from({ length: 8 }, (_, i) => entry(8 - i, JSON.stringify({ pad: 'x'.repeat(300) })));
    saveHistory(big, storage);
    const kept = loadHistory(storage);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(8);
    expect(kept[0]?.id).toBe('e8');
  });

  it('removes the key when the history is cleared', () => {
    const storage = memoryStorage();
    saveHistory([entry(1)], storage);
    saveHistory([], storage);
    expect(storage.getItem(HISTORY_KEY)).toBeNull();
  });
});
