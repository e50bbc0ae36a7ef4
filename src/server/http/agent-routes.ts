/**
 * `GET /api/agents/:agent_id`: one agent as `GET /api/agents` lists it, plus its state changes
 * over the last 24 hours (`states`, oldest first) and, for role `admin`, its open connections on
 * every process (`connections`: those of role `agent` whose userId is the agent's id); 404 when
 * the deployment knows no such agent.
 */
import { Router } from 'express';
import {
  HttpStatus,
  Paths,
  RestErrorCode,
  Role,
  type AgentConnection,
  type AgentDetail,
  type AgentListing,
} from '@nexus-realtime/client/protocol';
import type { DataPlane } from '../admin/index.js';
import type { AgentRegistry, AgentStates } from '../domain/index.js';
import { sendError } from './errors.js';
import { principalOf } from './require-auth.js';

/** Most connections listed for one agent. */
const MAX_AGENT_CONNECTIONS = 100;

export interface AgentRoutesOptions {
  readonly agents: AgentRegistry;
  readonly states: AgentStates;
  readonly dataPlane: DataPlane;
  readonly now: () => number;
}

export function agentRoutes({ agents, states, dataPlane }: AgentRoutesOptions): Router {
  const router = Router();
  router.get(Paths.agent, async (req, res, next) => {
    const agentId = req.params.agent_id;
    // The server's registry always knows states: every agent it answers is listed with one.
    const agent = agentId.length <= 128 ? (agents.get(agentId) as AgentListing | undefined) : undefined;
    if (!agent) return sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, `no agent ${agentId.slice(0, 128)}`);
    try {
      const history = await states.history(agentId);
      const detail: AgentDetail = {
        ...agent,
        states: history.map(({ state, sinceMs }) => ({ state, since: new Date(sinceMs).toISOString() })),
        ...(principalOf(res).role === Role.Admin ? { connections: await connectionsOf(dataPlane, agentId) } : {}),
      };
      res.status(HttpStatus.Ok).json(detail);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

async function connectionsOf(dataPlane: DataPlane, agentId: string): Promise<AgentConnection[]> {
  const page = await dataPlane.connections({ userId: agentId }, { limit: MAX_AGENT_CONNECTIONS });
  return page.items
    .filter((c) => c.role === Role.Agent)
    .map(({ connectionId, process, userId, remoteAddress, connectedAt }) => ({
      connectionId,
      process,
      userId,
      remoteAddress,
      connectedAt,
    }));
}
