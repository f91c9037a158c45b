import { ApiToken } from './api-token';
import { AuditEntry } from './audit-entry';
import { Dependency } from './dependency';
import { DigestRun } from './digest-run';
import { DiscordIncidentChannel } from './discord-incident-channel';
import { DiscordMessage } from './discord-message';
import { EscalationPolicy } from './escalation-policy';
import { ExecutorRun } from './executor-run';
import { FailoverPolicy } from './failover-policy';
import { Incident } from './incident';
import { IncidentPacket } from './incident-packet';
import { MaintenanceWindow } from './maintenance-window';
import { Notification } from './notification';
import { NotificationPreference } from './notification-preference';
import { PendingSignal } from './pending-signal';
import { RecentHealthSample } from './recent-health-sample';
import { RemediationTask } from './remediation-task';
import { RouteRecord } from './route';
import { RouteClass } from './route-class';
import { RouteHealthRollup } from './route-health-rollup';
import { RouteHealthSeries } from './route-health-series';
import { RouteHealthSnapshot } from './route-health-snapshot';
import { RouteStatusBoard } from './route-status-board';
import { RouteTransition } from './route-transition';
import { SlackIncidentChannel } from './slack-incident-channel';
import { SlackMessage } from './slack-message';
import { Team } from './team';
import { TimelineEvent } from './timeline-event';
import { WebhookDelivery } from './webhook-delivery';
import { WebhookSubscription } from './webhook-subscription';

/** Every model, for code that receives its dependencies (activity factories, importer). */
export const models = {
  ApiToken,
  AuditEntry,
  Dependency,
  DigestRun,
  DiscordIncidentChannel,
  DiscordMessage,
  EscalationPolicy,
  ExecutorRun,
  FailoverPolicy,
  Incident,
  IncidentPacket,
  MaintenanceWindow,
  Notification,
  NotificationPreference,
  PendingSignal,
  RecentHealthSample,
  RemediationTask,
  RouteClass,
  RouteHealthRollup,
  RouteHealthSeries,
  RouteHealthSnapshot,
  RouteRecord,
  RouteStatusBoard,
  RouteTransition,
  SlackIncidentChannel,
  SlackMessage,
  Team,
  TimelineEvent,
  WebhookDelivery,
  WebhookSubscription,
};
export type Models = typeof models;

/** Creates the indexes the queries need (idempotent; run at start-up and in tests). */
export async function ensureIndexes(m: Models = models): Promise<void> {
  for (const model of Object.values(m)) await model.createIndexes();
}
