/**
 * Channel policy: what each role may subscribe to and publish on. A policy document lists, per
 * role, channel patterns for `subscribe` and `publish`: an exact name, `*` (any channel), a
 * prefix ending in `*` (`fleet.*`), or any of these behind `!` to deny. A channel is allowed when
 * some allow pattern matches and no deny pattern does. A role missing from the document may do
 * nothing. `NEXUS_POLICY` points at a JSON file of this shape that replaces the built-in one.
 * The reserved channels (`RESERVED_CHANNELS`: the server's own) refuse every publish whatever
 * the document says.
 */
import { z } from 'zod';
import { decodeJson, isReservedChannel, Limits, ROLES, type Role } from '@nexus-realtime/client/protocol';

/**
 * What a connection (or a user's REST publishes) may send: frames per second and bytes per
 * second, each sustained and as a burst.
 */
export interface RateRule {
  readonly perSecond: number;
  readonly burst: number;
  readonly bytesPerSecond: number;
  readonly bytesBurst: number;
}

/** What one role may do. */
export interface RoleRules {
  readonly subscribe: readonly string[];
  readonly publish: readonly string[];
  /** Replaces the role's default rate limit, field by field (a field left out keeps its default). */
  readonly rate?: Partial<RateRule>;
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
const GIB = 1024 * 1024 * 1024;
const rateSchema = z
  .object({
    perSecond: z.number().positive().max(1_000_000).optional(),
    burst: z.number().int().min(1).max(10_000_000).optional(),
    bytesPerSecond: z.number().positive().max(GIB).optional(),
    bytesBurst: z
      .number()
      .int()
      .min(1)
      .max(16 * GIB)
      .optional(),
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

/** Rates of a role that sets none: every role 100 frames/s; bytes by how far the role is trusted. */
export const DEFAULT_RATES: Readonly<Record<Role, RateRule>> = {
  viewer: untrustedRate(),
  agent: untrustedRate(),
  operator: trustedRate(),
  admin: trustedRate(),
};

function untrustedRate(): RateRule {
  return {
    perSecond: Limits.rateLimitPerSecond,
    burst: Limits.rateLimitBurst,
    bytesPerSecond: Limits.rateLimitBytesPerSecond,
    bytesBurst: Limits.rateLimitBytesBurst,
  };
}

function trustedRate(): RateRule {
  return {
    ...untrustedRate(),
    bytesPerSecond: Limits.trustedRateLimitBytesPerSecond,
    bytesBurst: Limits.trustedRateLimitBytesBurst,
  };
}

/** Compiles a policy document into fast matchers. */
export function createPolicy(document: PolicyDocument): Policy {
  const compiled = new Map<string, Matcher>();
  const rates = new Map<Role, RateRule>();
  for (const role of ROLES) {
    const rules = document.roles[role];
    compiled.set(`${role}:subscribe`, compileRules(rules?.subscribe ?? []));
    compiled.set(`${role}:publish`, compileRules(rules?.publish ?? []));
    rates.set(role, { ...DEFAULT_RATES[role], ...definedFields(rules?.rate) });
  }
  return {
    // The server's own channels: no client publishes there, whatever the document says, so what
    // subscribers read on them is always the server's (the server publishes through the broker).
    allows: (role, action, channel) =>
      action === 'publish' && isReservedChannel(channel)
        ? false
        : (compiled.get(`${role}:${action}`)?.(channel) ?? false),
    rate: (role) => rates.get(role) ?? DEFAULT_RATES[role],
  };
}

/** The fields of a partial rate that are set (a field present as `undefined` must not hide a default). */
function definedFields(rate: Partial<RateRule> | undefined): Partial<RateRule> {
  return Object.fromEntries(Object.entries(rate ?? {}).filter(([, value]) => value !== undefined));
}
