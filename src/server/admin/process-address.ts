/**
 * The readable name of a process in the admin listing: `host:port`, the address people use to
 * reach it. A process listening on every interface (`0.0.0.0`, `::`) is named after its machine's
 * host name instead, which tells two processes of a deployment apart where the wildcard would not.
 */
import { hostname as osHostname } from 'node:os';

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['', '0.0.0.0', '::', '[::]', '::0']);

/** `host:port`, IPv6 literals in brackets (`[::1]:8080`), as URLs write them. */
export function processAddress(host: string, port: number, machineName: () => string = osHostname): string {
  const name = WILDCARD_HOSTS.has(host) ? machineName() : host;
  const shown = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  return `${shown}:${port}`;
}
