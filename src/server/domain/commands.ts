/**
 * Checks a publish on a domain channel before it passes: a `commands` or `tasks` payload the
 * domain refuses answers `invalid_command` and reaches nobody. Shared by WebSocket and REST
 * publishes so both edges refuse the same things.
 */
import { Channel, ErrorCode, commandSchema, taskUpdateSchema } from '../../protocol/index.js';

export type DomainCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: typeof ErrorCode.InvalidCommand; readonly message: string };

const OK: DomainCheck = { ok: true };

/** Whether `payload` may be published on `channel` as far as the task domain is concerned. */
export function checkDomainPublish(channel: string, payload: unknown): DomainCheck {
  if (channel === Channel.Commands) return describe(commandSchema.safeParse(payload), 'command');
  if (channel === Channel.Tasks) return describe(taskUpdateSchema.safeParse(payload), 'task update');
  return OK;
}

function describe(
  result:
    { success: true } | { success: false; error: { issues: readonly { path: PropertyKey[]; message: string }[] } },
  what: string,
): DomainCheck {
  if (result.success) return OK;
  const issue = result.error.issues[0];
  const where = issue?.path.map(String).join('.') || what;
  return {
    ok: false,
    code: ErrorCode.InvalidCommand,
    message: `invalid ${what}: ${where}: ${issue?.message ?? 'refused'}`,
  };
}
