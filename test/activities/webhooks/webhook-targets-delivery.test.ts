import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConsoleChannel } from '../../../activities/channels/console';
import { verifyWebhookSignature } from '../../../activities/channels/webhook/signature';
import { createWebhookSubscription } from '../../../activities/channels/webhook/subscriptions';
import { createWebhookChannel } from '../../../activities/channels/webhook/webhook-channel';
import { createNotifyActivities } from '../../../activities/notify';
import type { NotifyInput, NotifyResult } from '../../../activities/outage-contract';
import { createRouteDirectoryActivities, type RouteContext } from '../../../activities/route-directory';
import { importRouteFile } from '../../../src/directory/import-routes';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { variant, writeTempFile } from '../../fixtures/route-files';
import { startReceiver } from './receiver';
import { loopbackAllowed } from '../../support/outbound';

/**
 * A route file pages a webhook subscription (escalation level, team notify); the notify
 * activity posts to the subscription's URL, signed with its secret, like any subscriber's
 * delivery. The subscription itself only wants `resolved`, so what arrives for `opened` came
 * from the route file's naming it, not from the subscription's own events.
 */
const db = useTestDatabase('webhook_targets_delivery');
const logger = createLogger('silent');
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });
const createdBy = { platform: 'api', id: 'tok', name: 'ops-admin' } as const;
const notify = createNotifyActivities({ models, logger, channels: [createConsoleChannel({ logger }), createWebhookChannel({ models, maxAttempts: 6, outbound: loopbackAllowed })] }).notify;
const { loadRouteContexts } = createRouteDirectoryActivities({ models });

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeEach(async () => {
  await db.clear();
  receiver = await startReceiver(() => 204);
  await models.Incident.create({ _id: 'inc-1', workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', trigger: 'down', detectedAt: new Date() });
});
afterEach(() => receiver.close());

const importText = (text: string) => importRouteFile(writeTempFile(text), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 'tester' }, logger });
const opened = (targets: string[]): NotifyInput => ({
  idempotencyKey: 'inc-1:opened',
  incidentId: 'inc-1',
  kind: 'opened',
  severity: 'critical',
  routes: ['r1'],
  targets,
  title: '[CRITICAL] inc-1',
  text: 'r1 is down: unreachable',
  page: true,
});

/** The one request the receiver got, checked against the subscription's secret as a receiver would. */
function signedRequest(secret: string) {
  expect(receiver.requests).toHaveLength(1);
  const [request] = receiver.requests;
  const timestamp = request!.headers['x-statetrace-timestamp'] as string;
  expect(verifyWebhookSignature(secret, timestamp, request!.body, request!.headers['x-statetrace-signature'] as string)).toBe(true);
  return { headers: request!.headers, payload: JSON.parse(request!.body) as Record<string, unknown> };
}

describe('a webhook subscription named by the route file', () => {
  it('in an escalation level: the opening page is delivered to it, signed', async () => {
    const subscription = await createWebhookSubscription(models, { url: receiver.url, events: ['resolved'], createdBy }, loopbackAllowed);
    const withPolicy = variant(
      'failoverPolicies:\n',
      `escalationPolicies:\n  - id: std\n    levels:\n      - { afterSec: 0, notify: ["webhook:${subscription._id}"] }\nfailoverPolicies:\n`,
      variant('    failoverPolicy: manual\n', '    failoverPolicy: manual\n    escalationPolicy: std\n'),
    );
    await importText(withPolicy);

    // What the outage workflow pages first: the escalation policy's level due at once.
    const [ctx] = await env.run<[string[]], RouteContext[], typeof loadRouteContexts>(loadRouteContexts, ['r1']);
    const targets = ctx!.escalationPolicy!.levels[0]!.notify;
    expect(targets).toEqual([`webhook:${subscription._id}`]);
    const result = await env.run<[NotifyInput], NotifyResult, typeof notify>(notify, opened(targets));

    expect(result.deliveries).toEqual([{ channel: 'webhook', target: subscription._id, ok: true }]);
    const { headers, payload } = signedRequest(subscription.secret);
    expect(headers).toMatchObject({ 'x-statetrace-event': 'opened', 'x-statetrace-delivery': `inc-1:opened:${subscription._id}` });
    expect(payload).toMatchObject({ event: 'opened', incidentId: 'inc-1', severity: 'critical', paged: true });
    expect(await models.WebhookDelivery.findById(`inc-1:opened:${subscription._id}`).lean()).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('in a team’s notify: the owner team’s alerts reach it from its minimum severity, signed', async () => {
    const subscription = await createWebhookSubscription(models, { url: receiver.url, events: ['resolved'], createdBy }, loopbackAllowed);
    await importText(variant('    contact: core-net@example.com\n', `    contact: core-net@example.com\n    notify: [{ platform: webhook, target: ${subscription._id}, minSeverity: major }]\n`));

    // No escalation policy: the owner team is paged.
    const result = await env.run<[NotifyInput], NotifyResult, typeof notify>(notify, opened([]));
    expect(result.deliveries).toEqual([{ channel: 'webhook', target: subscription._id, ok: true }]);
    expect(signedRequest(subscription.secret).payload).toMatchObject({ event: 'opened', routes: ['r1'] });

    // Below the team's minimum severity: not sent.
    await env.run<[NotifyInput], NotifyResult, typeof notify>(notify, { ...opened([]), idempotencyKey: 'inc-1:flapping', kind: 'flapping', severity: 'warning' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('a URL stored before route files refused it is not posted to, and the failure says what to write instead', async () => {
    const result = await env.run<[NotifyInput], NotifyResult, typeof notify>(notify, opened([`webhook:${receiver.url}`]));
    expect(result.deliveries).toEqual([
      { channel: 'webhook', target: receiver.url, ok: false, error: expect.stringMatching(/is not a webhook subscription id, so nothing was sent; in the route file, name a webhook subscription instead/) },
    ]);
    expect(receiver.requests).toEqual([]);
  });
});
