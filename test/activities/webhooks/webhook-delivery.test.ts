import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConsoleChannel } from '../../../activities/channels/console';
import { signWebhookBody, verifyWebhookSignature } from '../../../activities/channels/webhook/signature';
import { createWebhookSubscription } from '../../../activities/channels/webhook/subscriptions';
import { createWebhookChannel } from '../../../activities/channels/webhook/webhook-channel';
import { createNotifyActivities } from '../../../activities/notify';
import type { NotificationKind, NotifyInput, NotifyResult } from '../../../activities/outage-contract';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { startReceiver } from './receiver';
import { loopbackAllowed } from '../../support/outbound';

const db = useTestDatabase('webhooks');
const logger = createLogger('silent');
const quiet = { logger: new DefaultLogger('ERROR', () => {}) };
const createdBy = { platform: 'api', id: '0123456789ab', name: 'ops-admin' } as const;
type Notify = (input: NotifyInput) => Promise<NotifyResult>;

/** Runs notify as the given attempt of a Temporal activity execution, as Temporal's retries would. */
const asAttempt = (attempt: number, notify: Notify, notifyInput: NotifyInput) =>
  new MockActivityEnvironment({ attempt }, quiet).run<[NotifyInput], NotifyResult, Notify>(notify, notifyInput);

/** The notify activity with the console and the webhook channel. */
const notifier = (maxAttempts = 6) => createNotifyActivities({ models, logger, channels: [createConsoleChannel({ logger }), createWebhookChannel({ models, maxAttempts, outbound: loopbackAllowed })] }).notify;

const input = (over: Partial<NotifyInput> = {}): NotifyInput => ({
  idempotencyKey: 'inc-1:opened',
  incidentId: 'inc-1',
  kind: 'opened',
  severity: 'critical',
  routes: ['r1'],
  targets: ['console:noc'],
  title: '[CRITICAL] inc-1',
  text: 'r1 is down: unreachable',
  page: true,
  ...over,
});

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const subscribe = (events?: NotificationKind[]) => createWebhookSubscription(models, { url: receiver.url, events, createdBy }, loopbackAllowed);

beforeEach(async () => {
  await db.clear();
  await models.Incident.create({ _id: 'inc-1', workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', trigger: 'down', detectedAt: new Date('2026-11-22T10:00:00Z') });
});
afterEach(() => receiver.close());

describe('signature', () => {
  it('signs each delivery so that the documented algorithm verifies it, and a tampered body, an old timestamp or another secret do not', async () => {
    receiver = await startReceiver(() => 204);
    const subscription = await subscribe();
    const result = await asAttempt(1, notifier(), input());
    expect(result.deliveries).toContainEqual({ channel: 'webhook', target: subscription._id, ok: true });

    const [request] = receiver.requests;
    const deliveryId = `inc-1:opened:${subscription._id}`;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'StateTrace-Webhooks/1',
      'x-statetrace-event': 'opened',
      'x-statetrace-delivery': deliveryId,
    });
    const timestamp = request!.headers['x-statetrace-timestamp'] as string;
    const signature = request!.headers['x-statetrace-signature'] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(verifyWebhookSignature(subscription.secret, timestamp, request!.body, signature)).toBe(true);
    expect(verifyWebhookSignature(subscription.secret, timestamp, request!.body.replace('critical', 'info'), signature)).toBe(false);
    expect(verifyWebhookSignature(`${subscription.secret}x`, timestamp, request!.body, signature)).toBe(false);
    const old = String(Number(timestamp) - 301);
    expect(verifyWebhookSignature(subscription.secret, old, request!.body, signWebhookBody(subscription.secret, old, request!.body))).toBe(false);

    expect(JSON.parse(request!.body)).toEqual({
      id: deliveryId,
      event: 'opened',
      incidentId: 'inc-1',
      severity: 'critical',
      routes: ['r1'],
      title: '[CRITICAL] inc-1',
      text: 'r1 is down: unreachable',
      paged: true,
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      incident: { state: 'open', severity: 'critical', routes: ['r1'], trigger: 'down', detectedAt: '2026-11-22T10:00:00.000Z' },
    });
  });
});

describe('retries', () => {
  it('delivers exactly once to a receiver that fails 3 times, then accepts: one delivery id, 4 attempts', async () => {
    receiver = await startReceiver((n) => (n <= 3 ? 500 : 200));
    const subscription = await subscribe();
    const notify = notifier();
    for (const attempt of [1, 2, 3]) {
      const err: unknown = await asAttempt(attempt, notify, input()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: false, message: expect.stringMatching(/webhook:wh_[0-9a-f]{12}: HTTP 500/) });
    }
    const fourth = await asAttempt(4, notify, input());
    expect(fourth.deliveries.filter((d) => d.channel === 'webhook')).toEqual([{ channel: 'webhook', target: subscription._id, ok: true }]);
    // Once delivered, neither a stray retry of the notification nor the channel itself sends it again.
    await asAttempt(5, notify, input());
    expect(await createWebhookChannel({ models, maxAttempts: 6, outbound: loopbackAllowed }).send({ key: 'inc-1:opened', incidentId: 'inc-1', kind: 'opened', severity: 'critical', routes: ['r1'], title: 't', text: 't', page: true }, subscription._id)).toEqual({
      ok: true,
      retryable: false,
    });

    expect(receiver.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(receiver.requests.map((r) => r.headers['x-statetrace-delivery']))).toEqual(new Set([`inc-1:opened:${subscription._id}`]));
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    const delivery = await models.WebhookDelivery.findById(`inc-1:opened:${subscription._id}`).lean();
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4, lastStatus: 200, deliveredAt: expect.any(Date) });
    expect(delivery!.lastError).toBeUndefined();
  });

  it('waits as long as the receiver’s Retry-After asks', async () => {
    receiver = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    await subscribe();
    await expect(asAttempt(1, notifier(), input())).rejects.toMatchObject({ type: 'NotificationUndelivered', nextRetryDelay: 7000 });
  });

  it('dead-letters a delivery after STATETRACE_WEBHOOK_MAX_ATTEMPTS attempts, and the rest of the notification completes', async () => {
    receiver = await startReceiver(() => 503);
    const subscription = await subscribe();
    const notify = notifier(3);
    await expect(asAttempt(1, notify, input())).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(asAttempt(2, notify, input())).rejects.toBeInstanceOf(ApplicationFailure);
    const third = await asAttempt(3, notify, input());
    expect(third.deliveries).toEqual([
      { channel: 'console', target: 'noc', ok: true },
      { channel: 'webhook', target: subscription._id, ok: false, error: 'dead-lettered after 3 attempt(s): HTTP 503' },
    ]);
    await asAttempt(4, notify, input());
    expect(receiver.requests).toHaveLength(3);
    expect(await models.WebhookDelivery.findById(`inc-1:opened:${subscription._id}`).lean()).toMatchObject({ status: 'dead', attempts: 3, lastStatus: 503, lastError: 'HTTP 503', deadAt: expect.any(Date) });
    expect(await models.Notification.findById('inc-1:opened').lean()).toMatchObject({ complete: true });
  });

  it('dead-letters at once a delivery the receiver refuses with a 4xx', async () => {
    receiver = await startReceiver(() => 410);
    const subscription = await subscribe();
    const result = await asAttempt(1, notifier(), input());
    expect(result.deliveries).toContainEqual({ channel: 'webhook', target: subscription._id, ok: false, error: 'dead-lettered after 1 attempt(s): HTTP 410' });
    expect(receiver.requests).toHaveLength(1);
    expect(await models.WebhookDelivery.findById(`inc-1:opened:${subscription._id}`).lean()).toMatchObject({ status: 'dead', attempts: 1, lastStatus: 410 });
  });
});

describe('routing', () => {
  it('sends each kind to the active subscriptions that want it, paged or not', async () => {
    receiver = await startReceiver(() => 200);
    const everything = await subscribe();
    const resolvedOnly = await subscribe(['resolved']);
    const removed = await subscribe();
    await models.WebhookSubscription.updateOne({ _id: removed._id }, { $set: { active: false } });
    const notify = notifier();
    await asAttempt(1, notify, input());
    await asAttempt(1, notify, input({ idempotencyKey: 'inc-1:acknowledged', kind: 'acknowledged', page: false }));
    await asAttempt(1, notify, input({ idempotencyKey: 'inc-1:resolved', kind: 'resolved' }));
    const received = receiver.requests.map((r) => r.headers['x-statetrace-delivery']).sort();
    expect(received).toEqual(
      [`inc-1:opened:${everything._id}`, `inc-1:acknowledged:${everything._id}`, `inc-1:resolved:${everything._id}`, `inc-1:resolved:${resolvedOnly._id}`].sort(),
    );
  });
});
