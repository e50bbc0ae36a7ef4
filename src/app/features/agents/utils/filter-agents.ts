/**
 * The Agents panel's filter box: the rows whose id contains the text (any case), or whose state
 * is the text (`silent` lists the silent agents). Several words must all match.
 */
import type { AgentRow } from './merge-agents';

export function filterAgents(rows: readonly AgentRow[], text: string): readonly AgentRow[] {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((row) => {
    const id = row.agentId.toLowerCase();
    return words.every((word) => id.includes(word) || row.state === word);
  });
}
