/** What a role may do on the page, as the server's built-in policy has it. */

/** Roles that send commands (run and cancel tasks) and read the audit log. */
const OPERATING_ROLES: ReadonlySet<string> = new Set(['operator', 'admin']);

/** Operators and admins run tasks and read the audit log; viewers (and a page not signed in) only watch. */
export function canOperate(role: string | undefined): boolean {
  return role !== undefined && OPERATING_ROLES.has(role);
}
