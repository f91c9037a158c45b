/**
 * The one command core both chat adapters call: authorise, run, audit, reply. Adapters
 * translate their platform's requests into a CommandRequest and the reply back; every rule
 * (who may do what, which incident is meant, what is recorded) lives here.
 */
import type { Client } from '@temporalio/client';
import type { Actor } from '../../activities/outage-contract';
import type { Role } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { Models } from '../../src/models';
import { insertOnce } from '../../src/models/insert-once';
import { runAction, type ActionOutcome } from './act-commands';
import { checklistSummary } from './checklist';
import type { RunbookSource } from '../../src/runbooks/load-runbooks';
import type { Command } from './parse-command';
import { runQuery } from './read-commands';
import { hasRole, REQUIRED_ROLE } from './roles';

export interface CommandRequest {
  command: Command;
  actor: Actor;
  role: Role;
  /** The platform's unique id of this request (slash command trigger, button press): the audit entry's key. */
  requestId: string;
  /** Implied by where the request came from (an incident channel). */
  incidentId?: string;
}

export interface CommandReply {
  ok: boolean;
  text: string;
  /** Only the requester sees it (refusals, lookups); false: the channel sees what was done. */
  ephemeral: boolean;
  /** The incident the command acted on, when there was one. */
  incidentId?: string;
}

export interface CoreDeps {
  models: Models;
  workflows: Pick<Client['workflow'], 'getHandle' | 'start'>;
  /** Where the worker that prints packets listens. */
  taskQueue: string;
  /** STATETRACE_WORKFLOW_ID_PREFIX: before the id of every workflow the core starts (unset or empty: none). */
  workflowIdPrefix?: string;
  /** How long `packet` waits for the packet before replying that it is on its way (default 60 s). */
  packetWaitMs?: number;
  runbooks: RunbookSource;
  runbookBaseUrl?: string;
  logger: Logger;
}

export interface CommandCore {
  run(request: CommandRequest): Promise<CommandReply>;
  /** A checklist button: marks one RemediationTask done. */
  completeTask(request: { taskId: string; actor: Actor; role: Role; requestId: string }): Promise<CommandReply>;
  /** The Checklist button on an alert: how far the incident's checklists are (viewers and up), and `where` they are pinned. */
  showChecklist(request: { incidentId: string; actor: Actor; role: Role; requestId: string; where?: string }): Promise<CommandReply>;
}

const MUTATING = new Set<Command['name']>(['ack', 'failover', 'failback', 'resolve', 'maint']);

/** Commands that change an outage: their outcome is said in the channel, other replies only to the asker. */
export const changesOutage = (name: Command['name']) => MUTATING.has(name);

/** What the buttons on an alert do (the incident comes with the request). */
export const ALERT_BUTTON_COMMANDS = {
  ack: (incidentId: string): Command => ({ name: 'ack', incidentId }),
  failover: (): Command => ({ name: 'failover' }),
  resolve: (): Command => ({ name: 'resolve', note: 'resolved from the alert' }),
} as const;
export type AlertButton = keyof typeof ALERT_BUTTON_COMMANDS;

export function createCommandCore(deps: CoreDeps): CommandCore {
  const logger = deps.logger.child({ component: 'command-core' });

  const audit = async (request: { actor: Actor; requestId: string }, action: string, outcome: ActionOutcome, reply: string) => {
    await insertOnce(deps.models.AuditEntry, {
      _id: `${request.actor.platform}:${request.requestId}`,
      at: new Date(),
      actor: request.actor,
      action,
      target: outcome.target ?? { kind: 'command', id: action },
      incidentId: outcome.incidentId,
      routeId: outcome.routeId,
      outcome: outcome.status,
      reason: outcome.status === 'ok' ? undefined : reply,
      after: outcome.after,
    });
  };

  const refuse = async (request: { actor: Actor; role: Role; requestId: string; incidentId?: string }, action: string, needed: Role): Promise<CommandReply> => {
    const text = `you need the ${needed} role for that; you are ${request.role === 'none' ? 'not registered' : `a ${request.role}`}. Ask an admin to add you to SLACK_ROLES / DISCORD_ROLES.`;
    const about = request.incidentId ? { target: { kind: 'incident', id: request.incidentId }, incidentId: request.incidentId } : {};
    await audit(request, action, { status: 'refused', ...about }, text);
    return { ok: false, text, ephemeral: true };
  };

  return {
    async run(request) {
      const { command } = request;
      const action = `command.${command.name}`;
      const needed = REQUIRED_ROLE[command.name];
      if (!hasRole(request.role, needed)) return refuse(request, action, needed);
      try {
        if (!MUTATING.has(command.name)) return await runQuery(deps, request);
        const outcome = await runAction(deps, request);
        await audit(request, action, outcome, outcome.reply.text);
        return outcome.reply;
      } catch (err) {
        logger.error({ err, command: command.name, actor: request.actor }, 'command failed');
        const text = `${command.name} failed: ${(err as Error).message}`;
        if (MUTATING.has(command.name)) await audit(request, action, { status: 'error' }, text).catch(() => undefined);
        return { ok: false, text, ephemeral: true };
      }
    },

    async completeTask(request) {
      const action = 'checklist.complete';
      if (!hasRole(request.role, REQUIRED_ROLE.task)) return refuse(request, action, REQUIRED_ROLE.task);
      const task = await deps.models.RemediationTask.findById(request.taskId).lean();
      if (!task) return { ok: false, text: `no checklist item ${request.taskId}`, ephemeral: true };
      const target = { kind: 'remediation_task', id: task._id };
      if (task.done) {
        const text = `already done by ${task.doneBy?.name ?? task.doneBy?.id ?? 'someone'}`;
        return { ok: true, text, ephemeral: true, incidentId: task.incidentId };
      }
      const doneAt = new Date();
      await deps.models.RemediationTask.updateOne({ _id: task._id, done: false }, { $set: { done: true, doneBy: request.actor, doneAt } });
      const text = `✅ ${task.text} — done by ${request.actor.name ?? request.actor.id}`;
      await audit(request, action, { status: 'ok', target, incidentId: task.incidentId, after: { done: true } }, text);
      return { ok: true, text, ephemeral: false, incidentId: task.incidentId };
    },

    async showChecklist(request) {
      if (!hasRole(request.role, REQUIRED_ROLE.checklist)) return refuse(request, 'checklist.show', REQUIRED_ROLE.checklist);
      return { ok: true, text: await checklistSummary(deps.models, request.incidentId, request.where), ephemeral: true, incidentId: request.incidentId };
    },
  };
}
