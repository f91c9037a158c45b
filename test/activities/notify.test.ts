import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConsoleChannel } from '../../activities/channels/console';
import { createNotifyActivities, type NotificationChannel, type SendOutcome } from '../../activities/notify';
import type { NotifyInput, NotifyResult } from '../../activities/outage-contract';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';
import { until } from '../support/until';
import { variant, writeTempFile } from '../fixtures/route-files';

useTestDatabase('notify');
const logger = createLogger('silent');
const quiet = { logger: new DefaultLogger('ERROR', () => {}) };
type Notify = (input: NotifyInput) => Promise<NotifyResult>;

/** Runs notify as the given attempt of a Temporal activity execution (retries count from 2). */
function asAttempt(attempt: number) {
  const env = new MockActivityEnvironment({ attempt }, quiet);
  return (notify: Notify, notifyInput: NotifyInput) => env.run<[NotifyInput], NotifyResult, Notify>(notify, notifyInput);
}
const firstAttempt = asAttempt(1);
const retryAttempt = asAttempt(2);

// core-net (owner of r1 and r2) hears from warning up on the console, and critical ones on Slack too.
const ROUTE_FILE = variant(
  '    contact: core-net@example.com\n',
  `    contact: core-net@example.com
    notify:
      - { platform: console, target: noc }
      - { platform: slack, target: "#core-critical", minSeverity: critical }
`,
);

/** Console lines written by the console channel, one entry per message. */
let consoleLines: string[];
const consoleChannel = () => createConsoleChannel({ logger, stream: { write: (line: string) => consoleLines.push(line) } });

/** A real channel implementation whose first send to each target fails as a retryable outage. */
function channelFailingOnce(name: NotificationChannel['name']): NotificationChannel & { sent: string[] } {
  const failed = new Set<string>();
  const sent: string[] = [];
  return {
    name,
    sent,
    send: (_msg, target) => {
      if (!failed.has(target)) {
        failed.add(target);
        return Promise.resolve({ ok: false, retryable: true, error: 'HTTP 503' });
      }
      sent.push(target);
      return Promise.resolve({ ok: true, retryable: false });
    },
  };
}

function input(over: Partial<NotifyInput> = {}): NotifyInput {
  return {
    idempotencyKey: 'notify:inc-1:opened',
    incidentId: 'inc-1',
    kind: 'opened',
    severity: 'warning',
    routes: ['r1'],
    targets: [],
    title: 'r1 down',
    text: 'primary path lost every probe',
    page: true,
    ...over,
  };
}

const byTarget = (a: { channel: string; target: string }, b: { channel: string; target: string }) =>
  `${a.channel}:${a.target}`.localeCompare(`${b.channel}:${b.target}`);

beforeAll(async () => {
  await importRouteFile(writeTempFile(ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
});
beforeEach(async () => {
  consoleLines = [];
  await models.Notification.deleteMany({});
});

describe('dedupe', () => {
  const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel()] });

  it('sends a key once however often it is notified', async () => {
    const first = await firstAttempt(notify, input());
    const second = await firstAttempt(notify, input());
    const retriedAfterCompletion = await retryAttempt(notify, input());
    expect(consoleLines).toEqual(['[warning] inc-1 r1 down: primary path lost every probe\n']);
    expect(first).toEqual({ duplicate: false, deliveries: [{ channel: 'console', target: 'noc', ok: true }] });
    expect(second).toEqual({ duplicate: true, deliveries: first.deliveries });
    expect(retriedAfterCompletion).toEqual(second);
    expect(await models.Notification.findById('notify:inc-1:opened').lean()).toMatchObject({ complete: true, page: true, incidentId: 'inc-1' });
  });

  it('sends a key once when it is notified concurrently', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => firstAttempt(notify, input())));
    expect(consoleLines).toHaveLength(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await models.Notification.countDocuments()).toBe(1);
  });
});

describe('silence', () => {
  it('shows a notification that must not page on the console, marked, and hands it to chat marked as no page', async () => {
    const pages: boolean[] = [];
    const slack: NotificationChannel = { name: 'slack', send: (msg) => Promise.resolve(void pages.push(msg.page)).then(() => ({ ok: true, retryable: false })) };
    const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel(), slack] });
    const result = await firstAttempt(notify, input({ page: false, kind: 'maintenance', severity: 'info', targets: ['slack:#noc'] }));
    expect(result.deliveries).toEqual([
      { channel: 'console', target: 'log', ok: true },
      { channel: 'slack', target: '#noc', ok: true },
    ]);
    expect(consoleLines).toEqual(['[info] inc-1 [not paged] r1 down: primary path lost every probe\n']);
    expect(pages).toEqual([false]);
    expect(await models.Notification.findById('notify:inc-1:opened').lean()).toMatchObject({ page: false, complete: true });
  });
});

describe('silence and route', () => {
  it('shows a notification that pages nobody once on the console, also when the owner team has a console target', async () => {
    const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel()] });
    const result = await firstAttempt(notify, input({ page: false, kind: 'failed_over', severity: 'warning' }));
    expect(result.deliveries).toEqual([{ channel: 'console', target: 'noc', ok: true }]);
    expect(consoleLines).toHaveLength(1);
  });
});

describe('route', () => {
  const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel()] });

  it('sends to the owner teams’ channels that the severity reaches when no targets are given', async () => {
    const warning = await firstAttempt(notify, input({ idempotencyKey: 'k-warning', severity: 'warning', routes: ['r1', 'r2'] }));
    const info = await firstAttempt(notify, input({ idempotencyKey: 'k-info', severity: 'info' }));
    expect(warning.deliveries).toEqual([{ channel: 'console', target: 'noc', ok: true }]);
    expect(info.deliveries).toEqual([]);
    expect(consoleLines).toHaveLength(1);
  });

  it('resolves team:<id> through its preferences and <channel>:<target> as given', async () => {
    const result = await firstAttempt(
      notify,
      input({ severity: 'critical', targets: ['team:core-net', 'console:war-room', 'webhook:wh_0123456789ab'] }),
    );
    expect(result.deliveries.sort(byTarget)).toEqual([
      { channel: 'console', target: 'noc', ok: true },
      { channel: 'console', target: 'war-room', ok: true },
      { channel: 'slack', target: '#core-critical', ok: false, error: 'channel not configured' },
      { channel: 'webhook', target: 'wh_0123456789ab', ok: false, error: 'channel not configured' },
    ]);
    expect(consoleLines).toHaveLength(2);
  });

  it('records a target whose channel is not configured as a failed delivery, without failing', async () => {
    const result = await firstAttempt(notify, input({ targets: ['discord:oncall'] }));
    expect(result).toEqual({ duplicate: false, deliveries: [{ channel: 'discord', target: 'oncall', ok: false, error: 'channel not configured' }] });
    const stored = await models.Notification.findById('notify:inc-1:opened').lean();
    expect(stored).toMatchObject({ complete: true, deliveries: [{ channel: 'discord', target: 'oncall', ok: false, error: 'channel not configured' }] });
    expect(stored!.deliveries[0]!.at).toBeInstanceOf(Date);
  });
});

describe('send', () => {
  it('fails retryably when no delivery succeeded, and the retry sends what failed', async () => {
    const slack = channelFailingOnce('slack');
    const discord = channelFailingOnce('discord');
    const { notify } = createNotifyActivities({ models, logger, channels: [slack, discord] });
    const targets = ['slack:#noc', 'discord:oncall'];

    const err = await firstAttempt(notify, input({ targets })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: false, type: 'NotificationUndelivered' });
    expect(await models.Notification.findById('notify:inc-1:opened').lean()).toMatchObject({ complete: false });

    const retried = await retryAttempt(notify, input({ targets }));
    expect(retried).toEqual({
      duplicate: false,
      deliveries: [
        { channel: 'slack', target: '#noc', ok: true },
        { channel: 'discord', target: 'oncall', ok: true },
      ],
    });
    expect([slack.sent, discord.sent]).toEqual([['#noc'], ['oncall']]);
    expect(await models.Notification.findById('notify:inc-1:opened').lean()).toMatchObject({ complete: true });
  });

  it('a Retry-After shorter than the retry policy’s backoff does not shorten it (the attempts would run out during a long outage)', async () => {
    const slack: NotificationChannel = { name: 'slack', send: () => Promise.resolve({ ok: false, retryable: true, error: 'ratelimited', retryAfterMs: 5000 }) };
    const { notify } = createNotifyActivities({ models, logger, channels: [slack] });
    const retryPolicy = { initialInterval: 2000, backoffCoefficient: 2, maximumInterval: 60_000, maximumAttempts: 8 };
    const attempt = (n: number) => new MockActivityEnvironment({ attempt: n, retryPolicy }, quiet).run(notify, input({ targets: ['slack:C0NOC'] })).catch((e: unknown) => e);

    expect(await attempt(1)).toMatchObject({ type: 'NotificationUndelivered', nextRetryDelay: 5000 }); // backoff 2 s
    expect(await attempt(4)).toMatchObject({ type: 'NotificationUndelivered', nextRetryDelay: 16_000 }); // backoff 16 s
    expect(await attempt(7)).toMatchObject({ type: 'NotificationUndelivered', nextRetryDelay: 60_000 }); // at most maximumInterval
  });

  it('retries a rate-limited channel even when another delivered, no sooner than its Retry-After', async () => {
    let limited = true;
    const slack: NotificationChannel = {
      name: 'slack',
      send: () => Promise.resolve(limited ? { ok: false, retryable: true, error: 'ratelimited', retryAfterMs: 7000 } : { ok: true, retryable: false }),
    };
    const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel(), slack] });
    const targets = ['console:noc', 'slack:C0NOC'];

    const err = await firstAttempt(notify, input({ targets })).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: false, nextRetryDelay: 7000 });
    limited = false;
    const retried = await retryAttempt(notify, input({ targets }));

    expect(consoleLines).toHaveLength(1);
    expect(retried.deliveries).toEqual([
      { channel: 'console', target: 'noc', ok: true },
      { channel: 'slack', target: 'C0NOC', ok: true },
    ]);
  });

  it('a retry after an attempt died part-way resends only what was not delivered', async () => {
    let discordUp = false;
    const discord: NotificationChannel = {
      name: 'discord',
      send: () => (discordUp ? Promise.resolve({ ok: true, retryable: false }) : Promise.reject(new Error('socket hang up'))),
    };
    const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel(), discord] });
    const targets = ['console:noc', 'discord:oncall'];

    await expect(firstAttempt(notify, input({ targets }))).rejects.toThrow('socket hang up');
    discordUp = true;
    const retried = await retryAttempt(notify, input({ targets }));

    expect(consoleLines).toHaveLength(1);
    expect(retried.deliveries).toEqual([
      { channel: 'console', target: 'noc', ok: true },
      { channel: 'discord', target: 'oncall', ok: true },
    ]);
  });

  it('sends to every platform at once: a Slack that hangs, then fails, neither delays nor prevents Discord; the retry resends Slack only', async () => {
    const sent = { slack: [] as string[], discord: [] as string[] };
    let answerSlack: (outcome: SendOutcome) => void = () => undefined;
    const slack: NotificationChannel = {
      name: 'slack',
      send: (_msg, target) => {
        sent.slack.push(target);
        return sent.slack.length === 1 ? new Promise((resolve) => (answerSlack = resolve)) : Promise.resolve({ ok: true, retryable: false });
      },
    };
    const discord: NotificationChannel = { name: 'discord', send: (_msg, target) => Promise.resolve(void sent.discord.push(target)).then(() => ({ ok: true, retryable: false })) };
    const { notify } = createNotifyActivities({ models, logger, channels: [slack, discord] });
    const targets = ['slack:#noc', 'discord:123456789012345678']; // Slack first: one after another, Discord would wait for it

    const first = firstAttempt(notify, input({ targets })).catch((e: unknown) => e);
    const recorded = () => models.Notification.findById('notify:inc-1:opened').lean();
    await until('the Discord delivery recorded while Slack hangs', async () => (await recorded())?.deliveries.some((d) => d.channel === 'discord' && d.ok), 5000);
    expect(sent).toEqual({ slack: ['#noc'], discord: ['123456789012345678'] });
    expect(await recorded()).toMatchObject({ complete: false, deliveries: [{ channel: 'discord', ok: true }] });

    answerSlack({ ok: false, retryable: true, error: 'HTTP 503' });
    expect(await first).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: false, message: expect.stringContaining('slack:#noc: HTTP 503') });
    expect((await recorded())!.deliveries.map(({ channel, ok }) => ({ channel, ok }))).toEqual([
      { channel: 'slack', ok: false },
      { channel: 'discord', ok: true },
    ]);

    const retried = await retryAttempt(notify, input({ targets }));
    expect(sent).toEqual({ slack: ['#noc', '#noc'], discord: ['123456789012345678'] });
    expect(retried.deliveries).toEqual([
      { channel: 'discord', target: '123456789012345678', ok: true },
      { channel: 'slack', target: '#noc', ok: true },
    ]);
    expect(await recorded()).toMatchObject({ complete: true });
  });

  it('records every delivery of those that finish together, before a channel that throws fails the attempt', async () => {
    const targets = Array.from({ length: 8 }, (_, i) => `discord:10000000000000000${i}`);
    const discord: NotificationChannel = { name: 'discord', send: () => Promise.resolve({ ok: true, retryable: false }) };
    const slack: NotificationChannel = { name: 'slack', send: () => new Promise((_, reject) => setTimeout(() => reject(new Error('socket hang up')), 50)) };
    const { notify } = createNotifyActivities({ models, logger, channels: [slack, discord] });

    await expect(firstAttempt(notify, input({ targets: ['slack:#noc', ...targets] }))).rejects.toThrow('socket hang up');

    const stored = await models.Notification.findById('notify:inc-1:opened').lean();
    expect(stored!.deliveries.map((d) => `${d.channel}:${d.target}`).sort()).toEqual([...targets].sort());
    expect(stored!.complete).toBe(false);
  });

  it('a first attempt that meets an unfinished record leaves it to the run that owns it', async () => {
    const slack = channelFailingOnce('slack');
    const { notify } = createNotifyActivities({ models, logger, channels: [slack] });
    await expect(firstAttempt(notify, input({ targets: ['slack:#noc'] }))).rejects.toBeInstanceOf(ApplicationFailure);
    const again = await firstAttempt(notify, input({ targets: ['slack:#noc'] }));
    expect(again).toEqual({ duplicate: true, deliveries: [{ channel: 'slack', target: '#noc', ok: false, error: 'HTTP 503' }] });
    expect(slack.sent).toEqual([]);
  });
});
