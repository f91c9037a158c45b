import { Context } from '@temporalio/activity';
import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import type { Logger } from '../src/logger';
import { notifications, type NOTIFICATION_CHANNELS } from '../src/metrics/instruments';
import type { Models } from '../src/models';
import { insertOnce } from '../src/models/insert-once';
import { SEVERITIES } from '../src/models/shared';
import { subscribedWebhooks } from './channels/webhook/subscribed-webhooks';
import type { NotificationKind, NotifyInput, NotifyResult, Severity } from './outage-contract';

/** What every channel receives: the message already rendered, plus what it is about. */
export interface RenderedMessage {
  /** The notification's idempotency key: a channel that posts several messages keys them on it. */
  key: string;
  incidentId: string;
  kind: NotificationKind;
  severity: Severity;
  routes: string[];
  title: string;
  text: string;
  /**
   * false: page nobody. Chat channels then only update what they already show of the
   * incident (alert in place, a line in the incident channel); the console shows it marked.
   */
  page: boolean;
}

/** One integration (console, Slack, Discord, webhook). It reports failures; retrying is Temporal's job. */
export interface NotificationChannel {
  name: Exclude<(typeof NOTIFICATION_CHANNELS)[number], 'unconfigured'>;
  send(msg: RenderedMessage, target: string): Promise<SendOutcome>;
}

export interface SendOutcome {
  ok: boolean;
  retryable: boolean;
  error?: string;
  /** The platform asked us to wait this long (HTTP 429 Retry-After). */
  retryAfterMs?: number;
}

export interface NotifyDeps {
  models: Pick<Models, 'Notification' | 'NotificationPreference' | 'RouteRecord' | 'WebhookSubscription'>;
  channels: NotificationChannel[];
  logger: Logger;
}

/** The title prefix of a notification that is recorded and shown but pages nobody. */
export const NOT_PAGED_MARKER = '[not paged]';

interface Destination {
  channel: string;
  target: string;
}

interface Delivery extends Destination {
  ok: boolean;
  error?: string | null;
  at: Date;
}

/** What flows through the pipeline; each stage returns it with its part filled in. */
interface PendingNotification {
  input: NotifyInput;
  /** Temporal's attempt number of this activity execution (1 = first). */
  attempt: number;
  /** How long the retry policy waits after this attempt when it fails. */
  backoffMs: number;
  message: RenderedMessage;
  /** Set by route. */
  destinations?: Destination[];
  /** Recorded deliveries: an earlier attempt's, then this attempt's. */
  deliveries: Delivery[];
  /** Set by dedupe when this key was already handled: the remaining stages are skipped. */
  duplicate: boolean;
}

type NotifyStage = (n: PendingNotification, deps: NotifyDeps) => PendingNotification | Promise<PendingNotification>;

/**
 * Inserts the notification under its idempotency key. A key already there is a duplicate,
 * unless its record is incomplete and this is a Temporal retry (attempt > 1): then this run
 * finishes what the earlier attempt left undelivered. A first attempt that finds an
 * incomplete record is a concurrent twin of a run still sending, so it sends nothing.
 */
const dedupe: NotifyStage = async (n, { models }) => {
  const { idempotencyKey, ...fields } = n.input;
  if (await insertOnce(models.Notification, { _id: idempotencyKey, ...fields, complete: false, deliveries: [] })) return n;
  const recorded = await models.Notification.findById(idempotencyKey).lean();
  const resumable = recorded !== null && !recorded.complete && n.attempt > 1;
  return { ...n, deliveries: recorded?.deliveries ?? [], duplicate: !resumable };
};

/** page: false (acknowledgements, maintenance) → marked as not paged; route keeps it on the console. */
const silence: NotifyStage = (n) => (n.input.page ? n : { ...n, message: { ...n.message, title: `${NOT_PAGED_MARKER} ${n.message.title}` } });

/**
 * Resolves targets to channel destinations: `team:<id>` through the team's notification
 * preference (channels whose minSeverity this severity reaches), `<channel>:<target>` as is;
 * no targets → the owner teams of the routes. Plus `webhook:<subscription id>` of every
 * active webhook subscription that wants this kind.
 */
const route: NotifyStage = async (n, { models, logger }) => {
  const { input } = n;
  const targets = input.targets.length > 0 ? input.targets : await ownerTeamTargets(models, input.routes);
  const teamTargets = targets.filter((t) => t.startsWith('team:'));
  const preferences = await models.NotificationPreference.find({ _id: { $in: teamTargets } }).lean();
  const fromTeams = preferences.flatMap((p) =>
    p.channels.filter((c) => reaches(input.severity, c.minSeverity)).map((c) => ({ channel: c.platform, target: c.target })),
  );
  const direct = targets.filter((t) => !t.startsWith('team:')).map(parseTarget);
  const routed = uniqueDestinations([...fromTeams, ...direct]);
  // What pages nobody is still shown somewhere: on the console, unless a console target already has it.
  const shown = input.page || routed.some((d) => d.channel === 'console') ? routed : [{ channel: 'console', target: 'log' }, ...routed];
  // Webhook subscribers hear of every state change they subscribed to, paged or not.
  const destinations = uniqueDestinations([...shown, ...(await subscribedWebhooks(models, input.kind))]);
  if (destinations.length === 0) logger.warn({ incidentId: input.incidentId, kind: input.kind, targets }, 'notification has no recipients');
  return { ...n, destinations };
};

/**
 * Sends to every destination without a successful delivery yet, all at once: a platform
 * that is slow or down neither delays nor prevents the others' deliveries. Each delivery is
 * recorded as it finishes (a retry after a crash resends only what was not delivered). Any
 * failure worth retrying (rate limit, 5xx) → a retryable failure, so Temporal retries what
 * is left, no sooner than the platform's Retry-After. A channel that throws fails the
 * activity once every other delivery has finished and been recorded.
 */
const send: NotifyStage = async (n, { models, channels, logger }) => {
  const succeeded = n.deliveries.filter((d) => d.ok);
  const pending = (n.destinations ?? []).filter((d) => !succeeded.some((s) => sameDestination(s, d)));
  const log = deliveryLog(models, n.input.idempotencyKey, succeeded);
  const settled = await Promise.allSettled(
    pending.map(async (destination) => {
      const channel = channels.find((c) => c.name === destination.channel);
      const outcome: SendOutcome = channel ? await channel.send(n.message, destination.target) : { ok: false, retryable: false, error: 'channel not configured' };
      notifications.inc({ channel: channel?.name ?? 'unconfigured', result: outcome.ok ? 'sent' : 'failed' });
      if (!outcome.ok) logger.warn({ incidentId: n.input.incidentId, ...destination, error: outcome.error }, 'notification delivery failed');
      const delivery: Delivery = { ...destination, ok: outcome.ok, error: outcome.error, at: new Date() };
      await log.record(delivery);
      return { delivery, outcome };
    }),
  );
  const thrown = settled.find((s) => s.status === 'rejected');
  if (thrown) throw thrown.reason;
  const sent = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const retryable = sent.filter(({ outcome }) => !outcome.ok && outcome.retryable);
  // In destination order, whatever order they finished in.
  const deliveries = [...succeeded, ...sent.map((s) => s.delivery)];
  await log.finish(deliveries, retryable.length === 0);
  if (retryable.length > 0) {
    const errors = retryable.map(({ delivery: d, outcome: o }) => `${d.channel}:${d.target}: ${o.error ?? 'failed'}`).join('; ');
    const waitMs = Math.max(0, ...retryable.map(({ outcome }) => outcome.retryAfterMs ?? 0));
    throw ApplicationFailure.create({
      message: `notification not delivered everywhere (${errors})`,
      type: 'NotificationUndelivered',
      // A Retry-After replaces the policy's backoff; a shorter one must not use the attempts up sooner.
      ...(waitMs > 0 ? { nextRetryDelay: Math.max(waitMs, n.backoffMs) } : {}),
    });
  }
  return { ...n, deliveries };
};

/**
 * The notification's deliveries as they finish, written one write at a time, each with
 * every delivery so far: FerretDB 1.x does not apply concurrent updates of one document
 * atomically, so two deliveries finishing together could otherwise lose one. A failed write
 * fails its own delivery only; the next write carries everything again.
 */
function deliveryLog(models: NotifyDeps['models'], id: string, recorded: Delivery[]) {
  let deliveries = recorded;
  let tail: Promise<unknown> = Promise.resolve();
  const write = (update: { deliveries: Delivery[]; complete?: boolean }): Promise<void> => {
    const written = tail.then(() => models.Notification.updateOne({ _id: id }, { $set: update }));
    tail = written.catch(() => undefined);
    return written.then(() => undefined);
  };
  return {
    record(delivery: Delivery): Promise<void> {
      deliveries = [...deliveries, delivery];
      return write({ deliveries });
    },
    finish(ordered: Delivery[], complete: boolean): Promise<void> {
      return write({ deliveries: ordered, complete });
    },
  };
}

/** The fixed order of the notification pipeline. */
const PIPELINE: NotifyStage[] = [dedupe, silence, route, send];

/** The notification pipeline as an activity: dedupe → silence → route → send. */
export function createNotifyActivities(deps: NotifyDeps) {
  return {
    notify: async (input: NotifyInput): Promise<NotifyResult> => {
      const { attempt, retryPolicy } = Context.current().info;
      let n: PendingNotification = { input, attempt, backoffMs: policyBackoffMs(attempt, retryPolicy), message: renderMessage(input), deliveries: [], duplicate: false };
      for (const stage of PIPELINE) {
        if (n.duplicate) break;
        n = await stage(n, deps);
      }
      return { duplicate: n.duplicate, deliveries: n.deliveries.map(({ channel, target, ok, error }) => ({ channel, target, ok, ...(error ? { error } : {}) })) };
    },
  };
}

/** Temporal's own delay after a failed `attempt`: initialInterval × backoffCoefficient^(attempt-1), at most maximumInterval. */
function policyBackoffMs(attempt: number, policy: RetryPolicy | undefined): number {
  const initial = msOptionalToNumber(policy?.initialInterval) ?? 1000;
  const delay = initial * (policy?.backoffCoefficient ?? 2) ** (attempt - 1);
  return Math.min(delay, msOptionalToNumber(policy?.maximumInterval) ?? initial * 100);
}

function renderMessage({ idempotencyKey, incidentId, kind, severity, routes, title, text, page }: NotifyInput): RenderedMessage {
  return { key: idempotencyKey, incidentId, kind, severity, routes, title, text, page };
}

async function ownerTeamTargets(models: NotifyDeps['models'], routeIds: string[]): Promise<string[]> {
  const routes = await models.RouteRecord.find({ _id: { $in: routeIds } }, { owner: 1 }).lean();
  return [...new Set(routes.flatMap((r) => (r.owner?.team ? [`team:${r.owner.team}`] : [])))];
}

/** true when a notification of `severity` is at least as severe as `minSeverity` (critical > major > warning > info). */
function reaches(severity: Severity, minSeverity: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(minSeverity);
}

/** `slack:#noc` → { channel: 'slack', target: '#noc' }; a target keeps its own colons. */
function parseTarget(target: string): Destination {
  const [channel = '', ...rest] = target.split(':');
  return { channel, target: rest.join(':') };
}

function sameDestination(a: Destination, b: Destination): boolean {
  return a.channel === b.channel && a.target === b.target;
}

function uniqueDestinations(destinations: Destination[]): Destination[] {
  return destinations.filter((d, i) => destinations.findIndex((e) => sameDestination(d, e)) === i);
}
