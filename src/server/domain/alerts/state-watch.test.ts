import { describe, expect, it } from 'vitest';
import { StateWatch } from './state-watch.js';
import { compileRules, type AlertSink } from './rule-set.js';

function setup() {
  const events: [string, string, string | undefined, number][] = [];
  const sink: AlertSink = {
    fire: (rule, subject, startedMs) => events.push(['fire', rule.id, subject.agentId, startedMs]),
    resolve: (ruleId, subject, atMs) => events.push(['resolve', ruleId, subject.agentId, atMs]),
  };
  const watch = new StateWatch(sink);
  watch.setRules(
    compileRules([
      { id: 'quiet', kind: 'agent_silent', for_s: 10, severity: 'warning' },
      { id: 'gone', kind: 'agent_offline', for_s: 0, severity: 'critical', agents: ['a'] },
    ]).state,
  );
  return { watch, events };
}

describe('StateWatch', () => {
  it('fires when the agent has been in the state for for_s (started then), resolves when it leaves', () => {
    const { watch, events } = setup();
    watch.change('a', 'silent', 1000);
    watch.tick(10_999);
    expect(events).toEqual([]);
    watch.tick(11_000);
    watch.tick(12_000);
    expect(events).toEqual([['fire', 'quiet', 'a', 11_000]]);
    watch.change('a', 'online', 15_000);
    expect(events[1]).toEqual(['resolve', 'quiet', 'a', 15_000]);
  });

  it('offline for 0 s fires at once; the agent list limits the rule; an older change is ignored', () => {
    const { watch, events } = setup();
    watch.change('b', 'offline', 500);
    watch.change('a', 'offline', 500);
    watch.tick(600);
    expect(events).toEqual([['fire', 'gone', 'a', 500]]);
    watch.change('a', 'online', 400);
    expect(events).toHaveLength(1);
  });

  it('a silent agent going offline resolves the silent alert and may fire the offline one', () => {
    const { watch, events } = setup();
    watch.change('a', 'silent', 0);
    watch.tick(10_000);
    watch.change('a', 'offline', 20_000);
    watch.tick(20_000);
    expect(events).toEqual([
      ['fire', 'quiet', 'a', 10_000],
      ['resolve', 'quiet', 'a', 20_000],
      ['fire', 'gone', 'a', 20_000],
    ]);
  });

  it('resolves an alert learnt from another process when the agent leaves the state', () => {
    const { watch, events } = setup();
    watch.learn('quiet', 'z', true);
    watch.change('z', 'online', 5);
    expect(events).toEqual([['resolve', 'quiet', 'z', 5]]);
  });
});
