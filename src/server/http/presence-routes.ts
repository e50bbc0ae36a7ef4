/**
 * `GET /api/channels/:channel/presence` (bearer; the subscribe policy decides): who subscribes to
 * the channel now, across the deployment, `[{userId, role, connections, since}]` — answered from
 * this process's memory, which every process keeps up to date (domain/channel-presence.ts).
 */
import { Router } from 'express';
import { HttpStatus, Paths, RestErrorCode, channelSchema } from '@nexus-realtime/client/protocol';
import type { ChannelPresence } from '../domain/index.js';
import type { Policy } from '../policy.js';
import { sendError } from './errors.js';
import { principalOf } from './require-auth.js';

export function presenceRoutes(presence: ChannelPresence, policy: Policy): Router {
  const router = Router();
  router.get(Paths.channelPresence, (req, res) => {
    const channel = channelSchema.safeParse(req.params.channel);
    if (!channel.success)
      return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'bad channel name');
    if (!policy.allows(principalOf(res).role, 'subscribe', channel.data))
      return sendError(res, HttpStatus.Forbidden, RestErrorCode.Forbidden, `not allowed to read ${channel.data}`);
    res.status(HttpStatus.Ok).json(presence.list(channel.data));
  });
  return router;
}
