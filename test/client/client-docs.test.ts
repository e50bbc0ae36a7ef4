/**
 * docs/client.md tells the client's states and close codes as the code decides them: its state
 * diagram has exactly the transitions of connection-states.ts, and each row of its close-code
 * table says what decideClose (close-decision.ts) does for those codes, with a string token and
 * with a token function.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOWED_TRANSITIONS } from '../../packages/client/src/connection-states.js';
import { decideClose, type CloseContext } from '../../packages/client/src/close-decision.js';

const DOC = readFileSync(new URL('../../docs/client.md', import.meta.url), 'utf8');

/** The `a --> b` edges of the page's mermaid state diagram (the start marker left out). */
function diagramEdges(markdown: string): string[] {
  const diagram = /```mermaid\n(stateDiagram[\s\S]*?)```/.exec(markdown)?.[1];
  if (!diagram) throw new Error('docs/client.md has no mermaid state diagram');
  return [...diagram.matchAll(/^\s*(\w+)\s*-->\s*(\w+)/gm)]
    .filter(([, from]) => from !== undefined)
    .map(([, from, to]) => `${from} → ${to}`);
}

/** The rows of the table under "#### Close codes": cells of each row, the header left out. */
function closeCodeRows(markdown: string): string[][] {
  const section = markdown.split(/^#### Close codes$/m)[1]?.split(/^#{2,4} /m)[0];
  if (!section) throw new Error('docs/client.md has no "Close codes" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-| ]+\|$/.test(line))
    .slice(1)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

/** What a cell says the client does, in the words decideClose's answer is read with. */
function said(cell: string): 'backoff' | 'restart' | 'new token' | 'gives up' {
  if (cell === 'gives up') return 'gives up';
  if (/new token/.test(cell)) return 'new token';
  if (/within 2 s/.test(cell)) return 'restart';
  if (/backoff/.test(cell)) return 'backoff';
  throw new Error(`cannot read "${cell}"`);
}

function decided(code: number, context: CloseContext): { does: ReturnType<typeof said>; failsWith?: string } {
  const decision = decideClose(code, context);
  if (!decision.retry) return { does: 'gives up', failsWith: decision.code };
  return { does: decision.newToken ? 'new token' : decision.delay };
}

describe('docs/client.md', () => {
  it('draws exactly the allowed transitions', () => {
    const allowed = Object.entries(ALLOWED_TRANSITIONS).flatMap(([from, to]) => to.map((next) => `${from} → ${next}`));
    const drawn = diagramEdges(DOC).filter((edge) => !edge.startsWith('[*]'));
    expect(new Set(drawn).size).toBe(drawn.length); // each once
    expect([...drawn].sort()).toEqual([...allowed].sort());
  });

  it('says for each close code what the client does, with a string token and with a token function', () => {
    const rows = closeCodeRows(DOC);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const covered = new Set<string>();
    for (const [what, withString, withFunction, givesUpWith] of rows) {
      const upgrade = /^upgrade refused/.test(what!);
      const codes = upgrade ? [401, 403] : [...what!.replace(/\([^)]*\)/g, '').matchAll(/\b\d{4}\b/g)].map(Number);
      expect(codes.length, what).toBeGreaterThan(0);
      for (const code of codes) {
        covered.add(String(code));
        for (const [cell, renewableToken] of [
          [withString!, false],
          [withFunction!, true],
        ] as const) {
          const context: CloseContext = upgrade ? { upgradeStatus: code, renewableToken } : { renewableToken };
          const decision = decided(upgrade ? 1006 : code, context);
          expect(decision.does, `${what}: ${code}, renewable ${renewableToken}`).toBe(said(cell));
          if (decision.failsWith) expect(givesUpWith, `${what}: ${code}`).toContain(`\`${decision.failsWith}\``);
        }
      }
    }
    // Every close code the client tells apart has its row.
    for (const code of ['1000', '1006', '1007', '1008', '1009', '1012', '4001', '4003', '4008', '4010', '401', '403'])
      expect(covered, code).toContain(code);
  });
});
