import { webApi } from '@slack/bolt';
import { createSlackIdentities } from '../../../bot/slack/identity';
import { startSlackSimulator, type SlackSimulator } from '../../support/slack-simulator';

let sim: SlackSimulator;
let client: webApi.WebClient;
beforeAll(async () => {
  sim = await startSlackSimulator();
  client = new webApi.WebClient(sim.token, { slackApiUrl: sim.apiUrl });
});
afterAll(() => sim.close());

const rules = { roles: [{ subject: 'U0ALICE', role: 'admin' as const }, { subject: 'S0NETOPS', role: 'responder' as const }], defaultRole: 'viewer' as const };

it('gives roles by user id and by user group, the highest match winning, the default otherwise', async () => {
  const ids = createSlackIdentities(rules);
  expect(await ids.identify(client, { id: 'U0ALICE', name: 'alice' })).toEqual({ actor: { platform: 'slack', id: 'U0ALICE', name: 'alice' }, role: 'admin' });
  expect((await ids.identify(client, { id: 'U0BOB' })).role).toBe('responder');
  expect((await ids.identify(client, { id: 'U0VIV' })).role).toBe('viewer');
  expect((await createSlackIdentities({ roles: [], defaultRole: 'none' }).identify(client, { id: 'U0VIV' })).role).toBe('none');
});

it('looks group members up once for a burst of requests, and again after a failed lookup', async () => {
  const ids = createSlackIdentities(rules);
  const before = sim.callsOf('usergroups.users.list').length;
  const roles = await Promise.all(Array.from({ length: 20 }, () => ids.identify(client, { id: 'U0BOB' })));
  expect(roles.every((r) => r.role === 'responder')).toBe(true);
  expect(sim.callsOf('usergroups.users.list').length - before).toBe(1);

  const failing = createSlackIdentities(rules);
  sim.failNext('usergroups.users.list', { error: 'fatal_error' });
  await expect(failing.identify(client, { id: 'U0BOB' })).rejects.toThrow(/fatal_error/);
  expect((await failing.identify(client, { id: 'U0BOB' })).role).toBe('responder');
});
