/**
 * Task commands on the `commands` channel: an `execute_task` or `cancel_task` published through the
 * page's one client (never the socket), answered with the server's ack or error.
 */
import type { PublishResult } from '@nexus-realtime/client';
import { Channel, type Command } from '@nexus-realtime/client/protocol';
import { publish } from '../../../lib/nexus';

export function sendTaskCommand(command: Command): Promise<PublishResult> {
  return publish(Channel.Commands, command);
}
