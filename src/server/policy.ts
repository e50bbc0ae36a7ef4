/**
 * Channel policy: what each role may subscribe to and publish on. A policy document lists, per
 * role, channel patterns for `subscribe` and `publish`: an exact name, `*` (any channel), a
 * prefix ending in `*` (`fleet.*`), or any of these behind `!` to deny. A channel is allowed when
 * some allow pattern matches and no deny pattern does. A role missing from the document may do
 * nothing. `NEXUS_POLICY` points at a JSON file of this shape that replaces the built-in one.
 */
import { z } from 'zod';
import { decodeJson, Limits, ROLES, type Role } from '@nexus-realtime/client/protocol';

/** Frames per second a connection (or a user's REST publishes) may send: sustained and burst. */
export interface RateRule {
  readonly perSecond: number;
  readonly burst: number;
}

/** What one role may do. */
export interface RoleRules {
  readonly subscribe: readonly string[];
  readonly publish: readonly string[];
  /** Replaces the default rate limit for this role. */
  readonly rate?: RateRule;
}
/** A whole policy: rules per role. */
export interface PolicyDocument {
  readonly roles: Readonly<Partial<Record<Role, RoleRules>>>;
}
export type PolicyAction = 'subscribe' | 'publish';

/** everyone reads everything; viewers publish nothing; agents not on `commands`. */
export const builtInPolicy: PolicyDocument = {
  roles: {
    viewer: { subscribe: ['*'], publish: [] },
    agent: { subscribe: ['*'], publish: ['*', '!commands'] },
    operator: { subscribe: ['*'], publish: ['*'] },
    admin: { subscribe: ['*'], publish: ['*'] },
  },
};

const patternSchema = z
  .string()
  .regex(
    /^!?(\*|[A-Za-z0-9_.:-]{1,128}\*?)$/,
    'pattern must be a channel name, "*", "prefix*", optionally preceded by "!"',
  );
const rateSchema = z
  .object({
    perSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().min(1).max(10_000_000),
  })
  .strict();
const rulesSchema = z.object({
  subscribe: z.array(patternSchema).default([]),
  publish: z.array(patternSchema).default([]),
  rate: rateSchema.optional(),
});
const policySchema = z.object({
  roles: z.partialRecord(z.enum(ROLES as [Role, ...Role[]]), rulesSchema),
});

/** Parses and validates a policy file's text. */
export function parsePolicy(text: string): { ok: true; policy: PolicyDocument } | { ok: false; message: string } {
  const decoded = decodeJson(text);
  if (!decoded.ok) return { ok: false, message: decoded.message };
  const parsed = policySchema.safeParse(decoded.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${issue?.path.join('.') || 'policy'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, policy: parsed.data };
}

type Matcher = (channel: string) => boolean;

function compilePattern(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (channel) => channel.startsWith(prefix);
  }
  return (channel) => channel === pattern;
}

function compileRules(patterns: readonly string[]): Matcher {
  const allow = patterns.filter((p) => !p.startsWith('!')).map(compilePattern);
  const deny = patterns.filter((p) => p.startsWith('!')).map((p) => compilePattern(p.slice(1)));
  return (channel) => allow.some((m) => m(channel)) && !deny.some((m) => m(channel));
}

/** A compiled policy answering "may this role do this on this channel?". */
export interface Policy {
  allows(role: Role, action: PolicyAction, channel: string): boolean;
  /** The role's rate limit (WebSocket frames and REST publishes). */
  rate(role: Role): RateRule;
}

/** The rate of a role that sets none. */
export const DEFAULT_RATE: RateRule = { perSecond: Limits.rateLimitPerSecond, burst: Limits.rateLimitBurst };

/** Compiles a policy document into fast matchers. */
export function createPolicy(document: PolicyDocument): Policy {
  const compiled = new Map<string, Matcher>();
  for (const role of ROLES) {
    const rules = document.roles[role];
    compiled.set(`${role}:subscribe`, compileRules(rules?.subscribe ?? []));
    compiled.set(`${role}:publish`, compileRules(rules?.publish ?? []));
  }
  return {
    allows: (role, action, channel) => compiled.get(`${role}:${action}`)?.(channel) ?? false,
    rate: (role) => document.roles[role]?.rate ?? DEFAULT_RATE,
  };
}
