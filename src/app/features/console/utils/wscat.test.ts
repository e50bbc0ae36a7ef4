import { describe, expect, it } from 'vitest';
import { wscatCommand } from './wscat';

describe('wscatCommand', () => {
  it('builds a publish frame with a placeholder token', () => {
    expect(wscatCommand('ws://localhost:8080/ws', 'events', { a: 1 })).toBe(
      `npx wscat -c "ws://localhost:8080/ws?token=<TOKEN>" -x '{"action":"publish","id":1,"channel":"events","payload":{"a":1}}'`,
    );
  });

  it('escapes single quotes for the shell', () => {
    const command = wscatCommand('wss://nexus.example/ws', 'events', "it's");
    expect(command.endsWith(`-x '{"action":"publish","id":1,"channel":"events","payload":"it'\\''s"}'`)).toBe(true);
  });
});
