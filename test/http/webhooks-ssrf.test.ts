import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookChannel } from '../../activities/channels/webhook/webhook-channel';
import type { RenderedMessage } from '../../activities/notify';
import { ConfigError, loadConfig } from '../../src/config';
import { createApiToken } from '../../src/http/api-tokens';
import { createApiAuth } from '../../src/http/auth';
import { buildHttpServer, type HttpServer } from '../../src/http/server';
import { registerWebhooksApi } from '../../src/http/webhooks-api';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { outboundPolicy } from '../../src/net/outbound';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { startReceiver } from '../activities/webhooks/receiver';
import { loopbackAllowed } from '../support/outbound';

/**
 * Server-side request forgery through webhooks (SECURITY.md): an admin token, or a route file,
 * can name any URL; StateTrace must not become a way to reach its own loopback services (the
 * embedded Temporal server and UI, FerretDB), private networks or the cloud metadata address.
 * The victim here is a real listener on 127.0.0.1 that must never see a request.
 */
useTestDatabase('webhooks_ssrf');
const logger = createLogger('silent');
const strict = outboundPolicy('');
let victim: Awaited<ReturnType<typeof startReceiver>>;
let port: number;
let app: HttpServer;
let adminToken: string;

beforeAll(async () => {
  victim = await startReceiver(() => 200);
  port = Number(new URL(victim.url).port);
  app = await buildHttpServer({ logger, checks: {} });
  registerWebhooksApi(app, { models, auth: createApiAuth(models), maxAttempts: 3, outbound: strict });
  adminToken = (await createApiToken(models, { name: 'ops-admin', scope: 'admin', createdBy: { platform: 'cli', id: 'root' } })).token;
});
afterAll(async () => {
  await app.close();
  await victim.close();
});
beforeEach(async () => {
  victim.requests.length = 0;
  await Promise.all([models.WebhookSubscription.deleteMany({}), models.WebhookDelivery.deleteMany({})]);
});

const subscribe = (url: string) => app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: { authorization: `Bearer ${adminToken}` }, payload: { url } });
const msg: RenderedMessage = { key: 'inc-1:opened', incidentId: 'inc-1', kind: 'opened', severity: 'major', routes: ['r1'], title: 't', text: 'r1 is down', page: true };

describe('the outbound policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.1', 'reserved'],
  ])('refuses %s (%s) unless listed', (address, kind) => {
    expect(strict.refusal(address)).toContain(kind);
    expect(outboundPolicy(`${address.includes(':') ? address : `${address}/32`}`).refusal(address)).toBeUndefined();
  });

  it('lets public addresses through, and listed ranges', () => {
    expect(strict.refusal('8.8.8.8')).toBeUndefined();
    expect(strict.refusal('2001:4860:4860::8888')).toBeUndefined();
    const internal = outboundPolicy('198.18.0.0/16, fd00::/8');
    expect(internal.refusal('198.18.3.4')).toBeUndefined();
    expect(internal.refusal('198.19.0.1')).toContain('reserved');
    expect(internal.refusal('fd00::5')).toBeUndefined();
  });

  it('refuses a bad STATETRACE_OUTBOUND_ALLOW at start-up, saying which entry', () => {
    expect(() => loadConfig({ STATETRACE_OUTBOUND_ALLOW: '198.18.0.0/15,intranet' })).toThrow(ConfigError);
    expect(() => loadConfig({ STATETRACE_OUTBOUND_ALLOW: '198.18.0.0/15,intranet' })).toThrow(/"intranet" is not an address or CIDR range/);
    expect(loadConfig({ STATETRACE_OUTBOUND_ALLOW: '127.0.0.1/32' }).outbound.allow).toEqual(['127.0.0.1/32']);
  });
});

describe('webhook subscriptions', () => {
  it.each([
    ['loopback by address', () => `http://127.0.0.1:${port}/hooks`, /127\.0\.0\.1 is a loopback address/],
    ['a name resolving to loopback', () => `http://localhost:${port}/hooks`, /localhost:\d+: (127\.0\.0\.1|::1) is a loopback address/],
    ['IPv4 in IPv6 clothing', () => `http://[::ffff:7f00:1]:${port}/hooks`, /127\.0\.0\.1 is a loopback address/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local/],
    ['an address outside the public Internet', () => 'https://198.18.1.2/hook', /198\.18\.1\.2 is a reserved address/],
  ])('are refused for %s: 400, nothing stored, nothing sent', async (_what, url, why) => {
    const before = await snapshotDatabase();
    const res = await subscribe(url());
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/^url refused: /);
    expect(res.json().error).toMatch(why);
    expect(await snapshotDatabase()).toEqual(before);
    expect(victim.requests).toHaveLength(0);
  });

  it('a name that resolves nowhere is refused with the reason', async () => {
    const res = await subscribe('https://no-such-host.invalid/hook');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/no-such-host\.invalid: does not resolve/);
  });
});

describe('deliveries, checked again when the connection is made', () => {
  it('a subscription whose name resolves to loopback now (stored when it did not) is dead-lettered unsent, without retries', async () => {
    // As if the name had resolved to a public address when the subscription was made (DNS rebinding).
    await models.WebhookSubscription.create({ _id: 'wh_0123456789ab', url: `http://localhost:${port}/hooks`, events: ['opened'], secret: 'whsec_x', active: true, createdBy: { platform: 'api', id: 't' } });
    const outcome = await createWebhookChannel({ models, maxAttempts: 3, outbound: strict }).send(msg, 'wh_0123456789ab');
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(outcome.error).toMatch(/refused before sending: localhost: (127\.0\.0\.1|::1) is a loopback address/);
    expect(await models.WebhookDelivery.findById('inc-1:opened:wh_0123456789ab').lean()).toMatchObject({ status: 'dead', attempts: 1 });
    expect(victim.requests).toHaveLength(0);
  });

  it('a literal loopback address stored before the policy existed is refused the same way', async () => {
    await models.WebhookSubscription.create({ _id: 'wh_0123456789ac', url: victim.url, events: ['opened'], secret: 'whsec_x', active: true, createdBy: { platform: 'api', id: 't' } });
    const outcome = await createWebhookChannel({ models, maxAttempts: 3, outbound: strict }).send(msg, 'wh_0123456789ac');
    expect(outcome.error).toMatch(/refused before sending: 127\.0\.0\.1 is a loopback address/);
    expect(victim.requests).toHaveLength(0);
  });

  it('a receiver that redirects to an internal address is not followed', async () => {
    const innerHits: string[] = [];
    const inner = createServer((req, res) => void (innerHits.push(req.url ?? ''), res.end()));
    await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve));
    const redirecting = await startReceiver(() => ({ status: 307, headers: { location: `http://127.0.0.1:${(inner.address() as AddressInfo).port}/internal` } }));
    try {
      await models.WebhookSubscription.create({ _id: 'wh_0123456789ad', url: redirecting.url, events: ['opened'], secret: 'whsec_x', active: true, createdBy: { platform: 'api', id: 't' } });
      const outcome = await createWebhookChannel({ models, maxAttempts: 3, outbound: loopbackAllowed }).send(msg, 'wh_0123456789ad');
      expect(outcome).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/HTTP 307/) });
      expect(redirecting.requests).toHaveLength(1);
      expect(innerHits).toEqual([]);
    } finally {
      await redirecting.close();
      await new Promise<void>((resolve) => inner.close(() => resolve()));
    }
  });
});
