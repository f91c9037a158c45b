import { createWebhookSubscription } from '../../activities/channels/webhook/subscriptions';
import { importRouteFile } from '../../src/directory/import-routes';
import { RouteFileError } from '../../src/directory/parse-route-file';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { VALID_ROUTE_FILE, variant, writeTempFile } from '../fixtures/route-files';
import { loopbackAllowed } from '../support/outbound';

/** Route files page webhooks through subscriptions (signed deliveries) only: a URL, or an id this installation does not hold, is refused. */
const db = useTestDatabase('webhook_targets');
const logger = createLogger('silent');
const importText = (text: string) => importRouteFile(writeTempFile(text), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 'tester' }, logger });
const createdBy = { platform: 'api', id: 'tok', name: 'ops-admin' } as const;
const HINT = 'name a webhook subscription instead, e.g. webhook:wh_0123456789ab (POST /api/v1/webhooks {"url": …} creates one and shows its signing secret; GET /api/v1/webhooks lists them)';

/** VALID_ROUTE_FILE with an escalation policy whose first level names `target`, and the team's notify entries. */
const withTargets = (escalationTarget: string, teamNotify = '    notify: [{ platform: console, target: noc }]\n') =>
  variant(
    'failoverPolicies:\n',
    `escalationPolicies:\n  - id: std\n    levels:\n      - { afterSec: 0, notify: ["team:core-net", "${escalationTarget}"] }\nfailoverPolicies:\n`,
    variant('    contact: core-net@example.com\n', `    contact: core-net@example.com\n${teamNotify}`),
  );

const refusal = async (text: string): Promise<string[]> => {
  const err = await importText(text).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RouteFileError);
  // The file's temporary folder left out.
  return (err as RouteFileError).message.split('\n').map((line) => line.replace(/^.*\/routes\.yaml:/, 'routes.yaml:'));
};

beforeEach(async () => {
  await db.clear();
  await importText(VALID_ROUTE_FILE);
});

describe('webhook targets in a route file', () => {
  it('refuses a URL in an escalation level, at its line and column, saying what to write instead, and writes nothing', async () => {
    const before = await snapshotDatabase();
    expect(await refusal(withTargets('webhook:https://hooks.example.com/statetrace'))).toEqual([
      `routes.yaml:16:50: escalationPolicies[0].levels[0].notify[1]: a URL is not a webhook subscription id; ${HINT}`,
    ]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  it('refuses a URL as a team notify target, and anything else that is not a subscription id', async () => {
    const before = await snapshotDatabase();
    const problems = await refusal(withTargets('webhook:hooks-prod', '    notify: [{ platform: webhook, target: "http://127.0.0.1:9/hook", minSeverity: critical }]\n'));
    expect(problems).toEqual([
      expect.stringMatching(/^routes\.yaml:9:\d+: teams\[0\]\.notify\[0\]\.target: a URL is not a webhook subscription id; name a webhook subscription instead/),
      `routes.yaml:16:50: escalationPolicies[0].levels[0].notify[1]: "hooks-prod" is not a webhook subscription id; ${HINT}`,
    ]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  it('refuses a subscription id that names no active subscription here, and writes nothing', async () => {
    const deleted = await createWebhookSubscription(models, { url: 'http://127.0.0.1:9/hook', createdBy }, loopbackAllowed);
    await models.WebhookSubscription.updateOne({ _id: deleted._id }, { $set: { active: false, deactivatedAt: new Date() } });
    const before = await snapshotDatabase();
    const problems = await refusal(withTargets('webhook:wh_0123456789ab', `    notify: [{ platform: webhook, target: ${deleted._id} }]\n`));
    expect(problems).toEqual([
      `routes.yaml:16:50: escalationPolicies[0].levels[0].notify[1]: no active webhook subscription "wh_0123456789ab" in this installation (deleted, or made elsewhere); GET /api/v1/webhooks lists them, POST /api/v1/webhooks {"url": …} creates one`,
      expect.stringMatching(new RegExp(`^routes\\.yaml:9:\\d+: teams\\[0\\]\\.notify\\[0\\]\\.target: no active webhook subscription "${deleted._id}"`)),
    ]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  it('accepts subscriptions that exist, and stores them as the notify activity reads them', async () => {
    const subscription = await createWebhookSubscription(models, { url: 'http://127.0.0.1:9/hook', createdBy }, loopbackAllowed);
    await importText(withTargets(`webhook:${subscription._id}`, `    notify: [{ platform: webhook, target: ${subscription._id}, minSeverity: major }]\n`));
    expect(await models.EscalationPolicy.findById('std').lean()).toMatchObject({ levels: [{ afterSec: 0, notify: ['team:core-net', `webhook:${subscription._id}`] }] });
    expect(await models.NotificationPreference.findById('team:core-net').lean()).toMatchObject({ channels: [{ platform: 'webhook', target: subscription._id, minSeverity: 'major' }] });
  });
});
