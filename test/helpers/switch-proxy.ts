/**
 * The switchable proxy of the Redis recovery tests: the TCP proxy helper, whose `setTarget` and
 * `refuse` let it play a load balancer in front of several Nexus processes.
 */
import { startProxy, type TcpProxy } from './tcp-proxy.js';

export type SwitchProxy = TcpProxy;

export function startSwitchProxy(initialTarget: number): Promise<SwitchProxy> {
  return startProxy(initialTarget);
}
