import type { Models } from '../models';
import type { PathSegment } from './parse-route-file';
import type { RouteFile } from './schema';

/**
 * The webhook subscriptions a route file pages (escalation levels' `webhook:<id>`, teams'
 * `notify` entries with platform webhook) that the database holds no active subscription for:
 * one problem per mention, at its place in the file.
 */
export async function checkWebhookTargets(file: RouteFile, models: Pick<Models, 'WebhookSubscription'>): Promise<{ path: PathSegment[]; message: string }[]> {
  const mentions: { id: string; path: PathSegment[] }[] = [];
  file.escalationPolicies.forEach((policy, pi) =>
    policy.levels.forEach((level, li) =>
      level.notify.forEach((target, ti) => {
        if (target.startsWith('webhook:')) mentions.push({ id: target.slice('webhook:'.length), path: ['escalationPolicies', pi, 'levels', li, 'notify', ti] });
      }),
    ),
  );
  file.teams.forEach((team, ti) =>
    team.notify.forEach((n, ni) => {
      if (n.platform === 'webhook') mentions.push({ id: n.target, path: ['teams', ti, 'notify', ni, 'target'] });
    }),
  );
  if (mentions.length === 0) return [];
  const active = await models.WebhookSubscription.find({ _id: { $in: [...new Set(mentions.map((m) => m.id))] }, active: true }, { _id: 1 }).lean();
  const known = new Set(active.map((s) => s._id));
  return mentions
    .filter((m) => !known.has(m.id))
    .map((m) => ({ path: m.path, message: `no active webhook subscription "${m.id}" in this installation (deleted, or made elsewhere); GET /api/v1/webhooks lists them, POST /api/v1/webhooks {"url": …} creates one` }));
}

/** Where the stored route directory pages a subscription (escalation policies and teams, by id): what deleting it would silently break. */
export async function directoryPagesOf(models: Pick<Models, 'EscalationPolicy' | 'NotificationPreference'>, subscriptionId: string): Promise<string[]> {
  // Both collections are small; reading them whole avoids FerretDB 1.x's dotted queries into arrays of arrays.
  const [policies, preferences] = await Promise.all([
    models.EscalationPolicy.find({}, { levels: 1 }).lean(),
    models.NotificationPreference.find({}, { subject: 1, channels: 1 }).lean(),
  ]);
  return [
    ...policies.filter((p) => p.levels.some((l) => l.notify.includes(`webhook:${subscriptionId}`))).map((p) => `escalation policy ${p._id}`),
    ...preferences.filter((p) => p.channels.some((c) => c.platform === 'webhook' && c.target === subscriptionId)).map((p) => `team ${p.subject.id}`),
  ];
}
