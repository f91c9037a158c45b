import { z } from 'zod';
import { retryDeadDelivery, type WebhookDeliveryDeps } from '../../activities/channels/webhook/deliver';
import { createWebhookSubscription } from '../../activities/channels/webhook/subscriptions';
import { directoryPagesOf } from '../directory/check-webhook-targets';
import type { Models } from '../models';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDeliveryDoc } from '../models/webhook-delivery';
import { isHttpUrl, WEBHOOK_EVENT_MEANINGS, WEBHOOK_EVENTS, type WebhookSubscriptionDoc } from '../models/webhook-subscription';
import { OutboundRefused, type OutboundPolicy } from '../net/outbound';
import { sendError } from './api-errors';
import { errorResponses, isoDate } from './api/api-schemas';
import { apiIdentity, type ApiAuth } from './auth';
import type { HttpServer } from './server';

const EVENTS_DOC = WEBHOOK_EVENTS.map((e) => `\`${e}\`: ${WEBHOOK_EVENT_MEANINGS[e]}`).join('; ');

const newSubscription = z.strictObject({
  url: z.string().max(2048).refine(isHttpUrl, 'must be an absolute http(s) URL'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).optional().describe(`default: all. ${EVENTS_DOC}`),
  description: z.string().max(500).optional(),
});
const subscriptionView = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  createdBy: z.object({ platform: z.string(), id: z.string(), name: z.string().optional() }),
  createdAt: z.string(),
});
const deliveryView = z.object({
  id: z.string(),
  subscription: z.string(),
  incidentId: z.string(),
  event: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number(),
  lastStatus: z.number().optional(),
  lastError: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  deadAt: z.string().optional(),
});
const idParams = z.object({ id: z.string().min(1).max(300) });

function viewSubscription(s: Omit<WebhookSubscriptionDoc, 'secret'> & { _id: string; createdAt: Date }): z.infer<typeof subscriptionView> {
  const { platform, id, name } = s.createdBy;
  return { id: s._id, url: s.url, description: s.description, events: s.events, active: s.active, createdBy: { platform, id, ...(name ? { name } : {}) }, createdAt: s.createdAt.toISOString() };
}

function viewDelivery(d: WebhookDeliveryDoc): z.infer<typeof deliveryView> {
  return {
    id: d._id,
    subscription: d.subscription,
    incidentId: d.incidentId,
    event: d.kind,
    status: d.status,
    attempts: d.attempts,
    ...(d.lastStatus != null ? { lastStatus: d.lastStatus } : {}),
    ...(d.lastError ? { lastError: d.lastError } : {}),
    lastAttemptAt: isoDate(d.lastAttemptAt),
    deliveredAt: isoDate(d.deliveredAt),
    deadAt: isoDate(d.deadAt),
  };
}

/**
 * /api/v1/webhooks (admin scope): subscriptions (the secret is shown once, at creation),
 * their deliveries by status (dead letters included), and an operator's retry of a dead one.
 */
export function registerWebhooksApi(app: HttpServer, deps: { models: Models; auth: ApiAuth; maxAttempts: number; outbound: OutboundPolicy }): void {
  const { models } = deps;
  const admin = deps.auth.requireScope('admin');
  const delivery: WebhookDeliveryDeps = { models, maxAttempts: deps.maxAttempts, outbound: deps.outbound };

  app.post(
    '/api/v1/webhooks',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Subscribe a URL to incident state changes',
        description: 'The answer carries the signing secret: it is shown this once (it is stored, to sign deliveries, but never returned again).',
        body: newSubscription,
        response: { 201: subscriptionView.extend({ secret: z.string() }), ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (req, reply) => {
      try {
        const created = await createWebhookSubscription(models, { ...req.body, createdBy: apiIdentity(req.apiCaller!).actor }, deps.outbound);
        return await reply.code(201).send({ ...viewSubscription(created), secret: created.secret });
      } catch (err) {
        if (err instanceof OutboundRefused) return sendError(reply, 400, `url refused: ${err.message}`);
        throw err;
      }
    },
  );

  app.get(
    '/api/v1/webhooks',
    { preHandler: admin, schema: { tags: ['webhooks'], summary: 'Active webhook subscriptions (without secrets)', response: { 200: z.object({ webhooks: z.array(subscriptionView) }), ...errorResponses(401, 403) } } },
    async () => {
      const subscriptions = await models.WebhookSubscription.find({ active: true }, { secret: 0 }).sort({ createdAt: 1 }).lean();
      return { webhooks: subscriptions.map(viewSubscription) };
    },
  );

  app.delete(
    '/api/v1/webhooks/:id',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Unsubscribe: nothing more is sent, pending retries included',
        description: '409 while the route directory pages the subscription (an escalation level or a team names it): take it out of routes.yaml and import first.',
        params: idParams,
        response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const subscription = await models.WebhookSubscription.findById(req.params.id, { active: 1 }).lean();
      if (!subscription?.active) return sendError(reply, 404, `no webhook subscription ${req.params.id}`);
      const pagedBy = await directoryPagesOf(models, req.params.id);
      if (pagedBy.length > 0) return sendError(reply, 409, `the route directory pages ${req.params.id}; take it out of routes.yaml and import first`, pagedBy.map((where) => `named by ${where}`));
      await models.WebhookSubscription.updateOne({ _id: req.params.id }, { $set: { active: false, deactivatedAt: new Date() } });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/webhooks/deliveries',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Deliveries, latest attempt first; status=dead lists the dead letters',
        querystring: z.object({ status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ deliveries: z.array(deliveryView) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const filter = req.query.status ? { status: req.query.status } : {};
      const deliveries = await models.WebhookDelivery.find(filter, { payload: 0 }).sort({ lastAttemptAt: -1, _id: 1 }).limit(req.query.limit).lean<WebhookDeliveryDoc[]>();
      return { deliveries: deliveries.map(viewDelivery) };
    },
  );

  app.post(
    '/api/v1/webhooks/deliveries/:id/retry',
    {
      preHandler: admin,
      schema: {
        tags: ['webhooks'],
        summary: 'Send a dead delivery once more, now',
        description: 'Synchronous: the answer is the outcome (delivered, or dead again with the receiver’s answer). 409: the delivery is not dead, or its subscription was deleted.',
        params: idParams,
        response: { 200: z.object({ delivered: z.boolean(), delivery: deliveryView }), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const dead = await models.WebhookDelivery.findById(req.params.id).lean<WebhookDeliveryDoc>();
      if (!dead) return sendError(reply, 404, `no webhook delivery ${req.params.id}`);
      if (dead.status !== 'dead') return sendError(reply, 409, `delivery ${dead._id} is ${dead.status}, not dead`);
      const subscription = await models.WebhookSubscription.findById(dead.subscription).lean();
      if (!subscription?.active) return sendError(reply, 409, `subscription ${dead.subscription} was deleted`);
      const outcome = await retryDeadDelivery(delivery, dead, subscription);
      const after = await models.WebhookDelivery.findById(dead._id).lean<WebhookDeliveryDoc>();
      return { delivered: outcome.ok, delivery: viewDelivery(after!) };
    },
  );
}
