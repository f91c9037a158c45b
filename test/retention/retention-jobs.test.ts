import mongoose from 'mongoose';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { RETENTION_JOB, ROLLUP_JOB, startRetentionJobs, type RetentionJobs } from '../../src/retention/retention-jobs';
import { useTestDatabase } from '../support/database';
import { until } from '../support/until';

/** The roll-up and retention jobs through agenda, as the service runs them. */
useTestDatabase('retention_jobs');

const HOUR = 3_600_000;
const jobs: RetentionJobs[] = [];
afterAll(() => Promise.all(jobs.map((j) => j.stop())));

it('roll up at start-up and hourly, apply retention daily at the configured time (UTC)', async () => {
  const twoHoursAgo = Date.now() - 2 * HOUR;
  const hourStart = new Date(twoHoursAgo - (twoHoursAgo % HOUR));
  await models.RouteHealthSnapshot.insertMany(
    Array.from({ length: 12 }, (_, i) => ({ routeId: 'r1', at: new Date(hourStart.getTime() + i * 5000), status: 'up', score: 100, confidence: 1, latencyMs: 7 })),
  );
  // Two processes: agenda's lock and the idempotent roll-up keep them from doing anything twice.
  for (let i = 0; i < 2; i++) {
    jobs.push(await startRetentionJobs({ db: mongoose.connection.db!, models, logger: createLogger('silent'), retentionAt: '04:45', rollupMinute: 7, processEvery: 200, lockLifetimeMs: 1000 }));
  }
  const rollup = await until('the start-up roll-up', () => models.RouteHealthRollup.findById(`r1:hour:${hourStart.toISOString()}`).lean(), 20_000);
  expect(rollup).toMatchObject({ samples: 12, upSamples: 12, latencySum: 84, latencyCount: 12, latencyMax: 7 });

  await jobs[0]!.runNow(RETENTION_JOB);
  const agendaJobs = mongoose.connection.db!.collection('agendajobs');
  await until('the retention run', async () => (await agendaJobs.find({ name: RETENTION_JOB, type: 'normal' }).toArray()).some((j) => j.lastFinishedAt instanceof Date), 20_000);
  expect(await models.RouteHealthSnapshot.countDocuments()).toBe(12); // nothing is 30 days old
  expect(await models.RouteHealthRollup.countDocuments({ routeId: 'r1', resolution: 'hour' })).toBe(1);

  const scheduled = await agendaJobs.find({ type: 'single' }).sort({ name: 1 }).toArray();
  expect(scheduled.map((j) => [j.name as string, j.repeatInterval as string, j.repeatTimezone as string])).toEqual([
    [RETENTION_JOB, '45 4 * * *', 'UTC'],
    [ROLLUP_JOB, '7 * * * *', 'UTC'],
  ]);
});
