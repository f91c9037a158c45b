import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CommandCore } from '../../../bot/core/command-core';
import type { Command } from '../../../bot/core/parse-command';
import { hasRole, REQUIRED_ROLE } from '../../../bot/core/roles';
import { id } from '../../directory/schema';
import { sendError } from '../api-errors';
import { apiIdentity } from '../auth';
import type { HttpServer } from '../server';
import { errorResponses, type ApiV1Deps } from './api-schemas';
import { incidentParams } from './incidents-api';

const note = z.string().trim().min(1).max(1000);
/** Each action: its body and the chat command it is. */
const ACTIONS = {
  acknowledge: {
    summary: 'Acknowledge an incident (stops escalation)',
    body: z.strictObject({}),
    command: (incidentId: string): Command => ({ name: 'ack', incidentId }),
  },
  failover: {
    summary: 'Fail a route of the incident over to a backup path',
    body: z.strictObject({ route: id().optional().describe('which route of the incident; default: its only one'), backup: id().optional().describe('the backup path id; default: the policy’s choice') }),
    command: (_incidentId: string, b: { route?: string; backup?: string }): Command => ({ name: 'failover', route: b.route, backup: b.backup }),
  },
  resolve: {
    summary: 'Resolve an incident',
    body: z.strictObject({ note: note.optional() }),
    command: (_incidentId: string, b: { note?: string }): Command => ({ name: 'resolve', note: b.note }),
  },
} as const;

/**
 * POST /incidents/:id/{acknowledge,failover,resolve}: the chat commands, through the same core
 * and RBAC (read token → viewer, write → responder, admin → admin), audited with platform api.
 */
export function registerActionsApi(app: HttpServer, { models, auth }: ApiV1Deps, core: CommandCore): void {
  for (const [path, action] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, (typeof ACTIONS)[keyof typeof ACTIONS]][]) {
    app.post(`/api/v1/incidents/:id/${path}`, {
      // Any valid token: the core decides by role (and records refusals), exactly as in chat.
      preHandler: auth.requireScope('read'),
      schema: {
        tags: ['actions'],
        summary: action.summary,
        description: 'Needs a write or admin token (the responder role); a read token is refused with 403 and the refusal is audited. `Idempotency-Key` (≤ 100 characters) makes a retry record one audit entry. 409: the incident is over or refused the action.',
        params: incidentParams,
        headers: z.looseObject({ 'idempotency-key': z.string().min(1).max(100).optional() }),
        // A POST without a body arrives as null: it means no options.
        body: z.preprocess((b) => b ?? {}, action.body as z.ZodObject),
        response: { 200: z.object({ result: z.string(), incidentId: z.string().optional() }), ...errorResponses(400, 401, 403, 404, 409, 413) },
      },
    }, async (req, reply) => {
      if (!(await models.Incident.exists({ _id: req.params.id }))) return sendError(reply, 404, `no incident ${req.params.id}`);
      const { actor, role } = apiIdentity(req.apiCaller!);
      const command = action.command(req.params.id, req.body);
      const key = req.headers['idempotency-key'];
      // Keys are the caller's: two tokens that pick the same key are two requests.
      const requestId = `${actor.id}:${typeof key === 'string' ? key : randomUUID()}`;
      const result = await core.run({ command, actor, role, requestId, incidentId: req.params.id });
      if (result.ok) return { result: result.text, incidentId: result.incidentId };
      return sendError(reply, hasRole(role, REQUIRED_ROLE[command.name]) ? 409 : 403, result.text);
    });
  }
}
