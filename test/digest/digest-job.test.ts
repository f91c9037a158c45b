import mongoose from 'mongoose';
import { dueDigestDay, sendDigestOnce, startDigestJob, STALE_CLAIM_MS, type DigestJob } from '../../src/digest/digest-job';
import type { DigestBlock } from '../../src/digest/render-digest';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';
import { until } from '../support/until';

/** The digest goes out once per day, however often and however concurrently the job runs. */
useTestDatabase('digest_job');

const logger = createLogger('silent');
const NOW = new Date('2026-11-22T08:00:00.000Z');

function recorder() {
  const sent: { text: string; blocks?: DigestBlock[] }[] = [];
  return { sent, send: (text: string, blocks?: DigestBlock[]) => Promise.resolve(void sent.push({ text, blocks })) };
}

beforeAll(async () => {
  await models.Incident.create({ _id: 'inc-1', workflowId: 'outage:r1', routes: ['r1'], severity: 'major', state: 'resolved', detectedAt: new Date('2026-11-21T10:00:00Z'), mttrSec: 60 });
});

describe('the due day', () => {
  it('is yesterday from the configured time (UTC) on, the day before until then', () => {
    expect(dueDigestDay(new Date('2026-11-22T08:00:00Z'), '08:00')).toBe('2026-11-21');
    expect(dueDigestDay(new Date('2026-11-22T07:59:59Z'), '08:00')).toBe('2026-11-20');
    expect(dueDigestDay(new Date('2026-01-01T00:00:00Z'), '00:00')).toBe('2025-12-31');
    expect(() => dueDigestDay(NOW, '24:00')).toThrow(/HH:MM/);
    expect(() => dueDigestDay(NOW, '8:00')).toThrow(/HH:MM/);
  });
});

describe('sendDigestOnce', () => {
  it('sends a day once even if run twice, concurrently or later, and records it', async () => {
    const { sent, send } = recorder();
    const outcomes = await Promise.all([1, 2, 3].map(() => sendDigestOnce({ models, day: '2026-11-21', send, now: NOW, logger })));
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
    expect(await sendDigestOnce({ models, day: '2026-11-21', send, now: new Date(NOW.getTime() + 3_600_000), logger })).toBe('already-sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('1 incident (1 major)');
    expect(sent[0]!.blocks!.length).toBeGreaterThan(1);
    expect(await models.DigestRun.findById('digest:2026-11-21').lean()).toMatchObject({ day: '2026-11-21', attempt: 1, claimedAt: NOW, sentAt: expect.any(Date), incidents: 1 });
  });

  it('a failed send leaves the day unsent, so the retry sends it', async () => {
    const failing = () => Promise.resolve({ ok: false, error: 'channel_not_found' });
    await expect(sendDigestOnce({ models, day: '2026-11-20', send: failing, now: NOW, logger })).rejects.toThrow(/channel_not_found/);
    await expect(sendDigestOnce({ models, day: '2026-11-20', send: () => Promise.reject(new Error('socket hang up')), now: NOW, logger })).rejects.toThrow(/hang up/);
    expect(await models.DigestRun.find({ day: '2026-11-20' }).sort({ attempt: 1 }).lean()).toEqual([
      expect.objectContaining({ _id: 'digest:2026-11-20', attempt: 1, failedAt: expect.any(Date), error: 'digest not delivered: channel_not_found' }),
      expect.objectContaining({ _id: 'digest:2026-11-20:2', attempt: 2, failedAt: expect.any(Date), error: 'socket hang up' }),
    ]);
    const { sent, send } = recorder();
    expect(await sendDigestOnce({ models, day: '2026-11-20', send, now: NOW, logger })).toBe('sent');
    expect(await sendDigestOnce({ models, day: '2026-11-20', send, now: NOW, logger })).toBe('already-sent');
    expect(sent).toHaveLength(1);
    expect(await models.DigestRun.findById('digest:2026-11-20:3').lean()).toMatchObject({ sentAt: expect.any(Date) });
  });

  it('an attempt left by a run that died while sending is followed by a new one once it is stale, by one run only', async () => {
    await models.DigestRun.create({ _id: 'digest:2026-11-19', day: '2026-11-19', attempt: 1, claimedAt: NOW });
    const { sent, send } = recorder();
    expect(await sendDigestOnce({ models, day: '2026-11-19', send, now: new Date(NOW.getTime() + 60_000), logger })).toBe('in-progress');
    const later = new Date(NOW.getTime() + STALE_CLAIM_MS + 1000);
    const outcomes = await Promise.all([1, 2, 3].map(() => sendDigestOnce({ models, day: '2026-11-19', send, now: later, logger })));
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(await models.DigestRun.countDocuments({ day: '2026-11-19' })).toBe(2);
  });
});

describe('startDigestJob', () => {
  const jobs: DigestJob[] = [];
  afterAll(() => Promise.all(jobs.map((j) => j.stop())));

  it('two processes running the job, each at start-up and again, send the due digest once, and schedule it daily at the configured time', async () => {
    const { sent, send } = recorder();
    const clock = () => new Date('2026-11-23T09:15:00.000Z'); // past 07:30: 2026-11-22 is due
    for (let i = 0; i < 2; i++) {
      jobs.push(await startDigestJob({ db: mongoose.connection.db!, models, logger, at: '07:30', send, processEvery: 200, lockLifetimeMs: 1000, clock }));
    }
    await Promise.all(jobs.map((j) => j.runNow()));
    await until('the digest of 2026-11-22 to be sent', async () => (await models.DigestRun.findById('digest:2026-11-22').lean())?.sentAt, 20_000);
    const agendaJobs = mongoose.connection.db!.collection('agendajobs');
    // Every run (two at start-up, two asked for) has finished.
    const finished = async () => (await agendaJobs.find({ name: 'digest:daily', type: 'normal' }).toArray()).filter((j) => j.lastFinishedAt instanceof Date).length;
    await until('every digest run to finish', async () => (await finished()) === 4, 20_000, { context: () => `sent ${sent.length}` });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/^\*StateTrace daily digest for 2026-11-22 \(UTC\)\*/);
    const scheduled = await agendaJobs.find({ name: 'digest:daily', type: 'single' }).toArray();
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]).toMatchObject({ repeatInterval: '30 7 * * *', repeatTimezone: 'UTC' });
    expect((scheduled[0]!.nextRunAt as Date).toISOString()).toMatch(/T07:30:00\.000Z$/);
  });
});
