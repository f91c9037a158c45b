import { createWebhookChannel } from '../../activities/channels/webhook/webhook-channel';
import type { RenderedMessage } from '../../activities/notify';
import { createApiToken } from '../../src/http/api-tokens';
import { createApiAuth } from '../../src/http/auth';
import { buildHttpServer, type HttpServer } from '../../src/http/server';
import { registerWebhooksApi } from '../../src/http/webhooks-api';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { WEBHOOK_EVENTS } from '../../src/models/webhook-subscription';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { startReceiver } from '../activities/webhooks/receiver';
import { loopbackAllowed } from '../support/outbound';

useTestDatabase('webhooks_api');
const logger = createLogger('silent');
const MAX_ATTEMPTS = 3;
let app: HttpServer;
let adminToken: string;
let readToken: string;
/** The receiver answers this status to every request. */
let answer = 503;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  app = await buildHttpServer({ logger, checks: {} });
  registerWebhooksApi(app, { models, auth: createApiAuth(models), maxAttempts: MAX_ATTEMPTS, outbound: loopbackAllowed });
  const createdBy = { platform: 'cli', id: 'root' } as const;
  adminToken = (await createApiToken(models, { name: 'ops-admin', scope: 'admin', createdBy })).token;
  readToken = (await createApiToken(models, { name: 'grafana', scope: 'read', createdBy })).token;
  receiver = await startReceiver(() => answer);
});
afterAll(() => receiver.close());
beforeEach(async () => {
  answer = 503;
  await Promise.all([models.WebhookSubscription.deleteMany({}), models.WebhookDelivery.deleteMany({})]);
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, opts: { token?: string | null; body?: unknown } = {}) => {
  const token = opts.token === undefined ? adminToken : opts.token;
  return app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
};
const subscribe = async (body: Record<string, unknown> = { url: receiver.url }) => (await call('POST', '/api/v1/webhooks', { body })).json<{ id: string; secret: string }>();

/** Notifies a subscription as the notifier's Temporal retries would, until its delivery is dead. */
async function deadDelivery(subscriptionId: string): Promise<string> {
  const channel = createWebhookChannel({ models, maxAttempts: MAX_ATTEMPTS, outbound: loopbackAllowed });
  const msg: RenderedMessage = { key: 'inc-1:opened', incidentId: 'inc-1', kind: 'opened', severity: 'major', routes: ['r1'], title: 't', text: 'r1 is down', page: true };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) await channel.send(msg, subscriptionId);
  return `inc-1:opened:${subscriptionId}`;
}

describe('subscriptions', () => {
  it('creates one with every event by default, shows its secret once, lists it without, deletes it', async () => {
    const created = await call('POST', '/api/v1/webhooks', { body: { url: receiver.url, description: 'incident bridge' } });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ id: string; secret: string; events: string[] }>();
    expect(body).toMatchObject({ id: expect.stringMatching(/^wh_[0-9a-f]{12}$/), url: receiver.url, description: 'incident bridge', active: true, createdBy: { platform: 'api', name: 'ops-admin' } });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(body.events).toEqual(WEBHOOK_EVENTS);

    const listed = await call('GET', '/api/v1/webhooks');
    expect(listed.statusCode).toBe(200);
    const { secret: _secret, ...shown } = body;
    expect(listed.json()).toEqual({ webhooks: [shown] });
    expect(listed.body).not.toContain(body.secret);

    expect((await call('DELETE', `/api/v1/webhooks/${body.id}`)).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/webhooks')).json()).toEqual({ webhooks: [] });
    expect(await models.WebhookSubscription.findById(body.id).lean()).toMatchObject({ active: false, deactivatedAt: expect.any(Date) });
  });

  it('are described in the OpenAPI document', async () => {
    const { paths } = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{ paths: Record<string, object> }>();
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/api/v1/webhooks', '/api/v1/webhooks/{id}', '/api/v1/webhooks/deliveries', '/api/v1/webhooks/deliveries/{id}/retry']));
  });

  it('subscribes to chosen events only', async () => {
    const created = await call('POST', '/api/v1/webhooks', { body: { url: receiver.url, events: ['resolved', 'acknowledged'] } });
    expect(created.json()).toMatchObject({ events: ['resolved', 'acknowledged'] });
  });
});

describe('deliveries', () => {
  it('lists the dead letters, and a retry delivers one now', async () => {
    const { id } = await subscribe();
    const deliveryId = await deadDelivery(id);
    const dead = await call('GET', '/api/v1/webhooks/deliveries?status=dead');
    expect(dead.statusCode).toBe(200);
    expect(dead.json()).toEqual({
      deliveries: [
        {
          id: deliveryId,
          subscription: id,
          incidentId: 'inc-1',
          event: 'opened',
          status: 'dead',
          attempts: MAX_ATTEMPTS,
          lastStatus: 503,
          lastError: 'HTTP 503',
          lastAttemptAt: expect.any(String),
          deadAt: expect.any(String),
        },
      ],
    });
    expect((await call('GET', '/api/v1/webhooks/deliveries?status=delivered')).json()).toEqual({ deliveries: [] });

    answer = 200;
    const retried = await call('POST', `/api/v1/webhooks/deliveries/${deliveryId}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ delivered: true, delivery: { id: deliveryId, status: 'delivered', attempts: MAX_ATTEMPTS + 1, lastStatus: 200, deliveredAt: expect.any(String) } });
    expect(retried.json<{ delivery: object }>().delivery).not.toHaveProperty('deadAt');
    expect(receiver.requests.at(-1)!.headers['x-statetrace-delivery']).toBe(deliveryId);
    expect((await call('GET', '/api/v1/webhooks/deliveries?status=dead')).json()).toEqual({ deliveries: [] });

    const again = await call('POST', `/api/v1/webhooks/deliveries/${deliveryId}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: `delivery ${deliveryId} is delivered, not dead` });
  });

  it('a retry that fails again leaves the delivery dead, with the new answer', async () => {
    const { id } = await subscribe();
    const deliveryId = await deadDelivery(id);
    answer = 500;
    const retried = await call('POST', `/api/v1/webhooks/deliveries/${deliveryId}/retry`);
    expect(retried.json()).toMatchObject({ delivered: false, delivery: { status: 'dead', attempts: MAX_ATTEMPTS + 1, lastStatus: 500, lastError: 'HTTP 500' } });
  });
});

describe('refuses, and changes nothing', () => {
  const refusals: [string, () => ReturnType<typeof call>, number, RegExp][] = [
    ['no token', () => call('POST', '/api/v1/webhooks', { token: null, body: { url: 'https://hooks.example.com/x' } }), 401, /bearer token/],
    ['a read token (create)', () => call('POST', '/api/v1/webhooks', { token: readToken, body: { url: 'https://hooks.example.com/x' } }), 403, /admin scope/],
    ['a read token (list)', () => call('GET', '/api/v1/webhooks', { token: readToken }), 403, /admin scope/],
    ['a read token (dead letters)', () => call('GET', '/api/v1/webhooks/deliveries?status=dead', { token: readToken }), 403, /admin scope/],
    ['a bad url', () => call('POST', '/api/v1/webhooks', { body: { url: 'ftp://hooks.example.com/x' } }), 400, /url: must be an absolute http\(s\) URL/],
    ['no url', () => call('POST', '/api/v1/webhooks', { body: { events: ['opened'] } }), 400, /url/],
    ['an unknown event', () => call('POST', '/api/v1/webhooks', { body: { url: 'https://hooks.example.com/x', events: ['exploded'] } }), 400, /events/],
    ['an unknown status filter', () => call('GET', '/api/v1/webhooks/deliveries?status=lost'), 400, /status/],
    ['deleting an unknown subscription', () => call('DELETE', '/api/v1/webhooks/wh_000000000000'), 404, /no webhook subscription wh_000000000000/],
    ['retrying an unknown delivery', () => call('POST', '/api/v1/webhooks/deliveries/nope/retry'), 404, /no webhook delivery nope/],
  ];
  it.each(refusals)('%s', async (_name, send, code, message) => {
    expect((await subscribe()).id).toMatch(/^wh_/);
    const before = await snapshotDatabase();
    const res = await send();
    expect(res.statusCode).toBe(code);
    const body = res.json<{ error: string; details?: string[] }>();
    expect([body.error, ...(body.details ?? [])].join('\n')).toMatch(message);
    expect(await snapshotDatabase()).toEqual(before);
  });

  it('deleting a subscription that the route directory pages, until routes.yaml stops naming it', async () => {
    const { id } = await subscribe();
    await models.EscalationPolicy.create({ _id: 'std', levels: [{ afterSec: 0, notify: ['team:net', `webhook:${id}`] }], repeat: 0, repeatEverySec: 900 });
    await models.NotificationPreference.create({ _id: 'team:net', subject: { kind: 'team', id: 'net' }, channels: [{ platform: 'webhook', target: id, minSeverity: 'major' }] });
    const before = await snapshotDatabase();
    const res = await call('DELETE', `/api/v1/webhooks/${id}`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: `the route directory pages ${id}; take it out of routes.yaml and import first`, details: ['named by escalation policy std', 'named by team net'] });
    expect(await snapshotDatabase()).toEqual(before);

    await models.EscalationPolicy.deleteMany({});
    await models.NotificationPreference.deleteMany({});
    expect((await call('DELETE', `/api/v1/webhooks/${id}`)).statusCode).toBe(204);
  });

  it('a retry of a delivery whose subscription was deleted', async () => {
    const { id } = await subscribe();
    const deliveryId = await deadDelivery(id);
    await call('DELETE', `/api/v1/webhooks/${id}`);
    const before = receiver.requests.length;
    const res = await call('POST', `/api/v1/webhooks/deliveries/${deliveryId}/retry`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: `subscription ${id} was deleted` });
    expect(receiver.requests).toHaveLength(before);
    expect(await models.WebhookDelivery.findById(deliveryId).lean()).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS });
  });
});
