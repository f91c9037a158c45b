import { createCommandCore, type CommandCore } from '../../bot/core/command-core';
import { parseCommand } from '../../bot/core/parse-command';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { historyResolution, loadRollupHistory } from '../../src/retention/history';
import { rollUp } from '../../src/retention/roll-up';
import { routeRecordDoc } from '../fixtures/route-records';
import { useTestDatabase } from '../support/database';

/**
 * `history` at the resolution its range needs: raw snapshots up to 48 h, hourly rollups
 * beyond (whole days from daily rollups, which add up to the same), daily ones beyond 60 days.
 */
useTestDatabase('retention_history');

const HOUR = 3_600_000;
const NOW = Date.now();
const floorHour = (t: number) => t - (t % HOUR);
let core: CommandCore;

async function history(text: string) {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.reply);
  return core.run({ command: parsed.command, actor: { platform: 'slack', id: 'U0VIEW' }, role: 'viewer', requestId: `req-${Math.random()}` });
}

function snapshots(routeId: string, hoursAgo: number, n: number, status: 'up' | 'degraded' | 'down') {
  const start = floorHour(NOW - hoursAgo * HOUR) + 60_000;
  return Array.from({ length: n }, (_, i) => ({
    routeId,
    at: new Date(start + i * 1000),
    status,
    score: { up: 100, degraded: 60, down: 0 }[status],
    confidence: 1,
    ...(status === 'down' ? { lossPct: 100 } : status === 'up' ? { latencyMs: 10, lossPct: 0 } : { latencyMs: 50, lossPct: 4 }),
  }));
}

beforeAll(async () => {
  core = createCommandCore({
    models,
    workflows: {
      getHandle: () => {
        throw new Error('history reached Temporal');
      },
      start: () => {
        throw new Error('history started a workflow');
      },
    },
    taskQueue: 'unused',
    runbooks: { get: () => undefined } as never,
    logger: createLogger('silent'),
  });
  await models.RouteRecord.create([routeRecordDoc('r1'), routeRecordDoc('r2')]);
  await models.RouteHealthSnapshot.insertMany([
    ...snapshots('r1', 24 * 8, 4, 'up'), // outside 7 days, inside 90
    ...snapshots('r1', 24 * 6, 10, 'up'),
    ...snapshots('r1', 24 * 3, 5, 'degraded'),
    ...snapshots('r1', 50, 5, 'down'),
    ...snapshots('r1', 0, 3, 'up'), // this hour: not closed, in raw history only
    ...snapshots('r2', 24 * 4, 7, 'up'),
  ]);
});

describe('history resolution', () => {
  it('raw up to 48 h, hourly up to 60 days, daily beyond', () => {
    expect(historyResolution(3600)).toBe('raw');
    expect(historyResolution(48 * 3600)).toBe('raw');
    expect(historyResolution(48 * 3600 + 1)).toBe('hour');
    expect(historyResolution(60 * 86_400)).toBe('hour');
    expect(historyResolution(60 * 86_400 + 1)).toBe('day');
  });

  it('without rollups, a 7-day history reads raw snapshots and says so', async () => {
    const reply = await history('history r1 7d');
    // Raw snapshots include the current hour's three.
    expect(reply.text.split('\n')[0]).toBe('*r1*, last 168 h (raw snapshots: no rollups yet): 23 measurements · up 56.52 % · degraded 21.74 % · down 21.74 %');
  });

  it('a 7-day history reports availability and means from hourly rollups', async () => {
    await rollUp({ models, resolution: 'hour', now: new Date(NOW) });
    await rollUp({ models, resolution: 'day', now: new Date(NOW) });
    const reply = await history('history r1 7d');
    expect(reply.ok).toBe(true);
    const lines = reply.text.split('\n');
    expect(lines[0]).toMatch(/^\*r1\*, last 168 h \(hourly rollups, \d{4}-\d\d-\d\d \d\d:00 UTC to \d{4}-\d\d-\d\d \d\d:00 UTC\): 20 measurements · up 50\.00 % · degraded 25\.00 % · down 25\.00 %$/);
    // rtt over the 15 measured: (10 × 10 + 5 × 50) / 15; loss over all 20: (5 × 4 + 5 × 100) / 20.
    expect(lines.slice(1)).toEqual(['mean rtt 23.3 ms · worst rtt 50.0 ms · mean loss 26.0 %', 'no incidents']);
    expect((await history('history r2 7d')).text.split('\n')[0]).toMatch(/\(hourly rollups, .*\): 7 measurements · up 100\.00 % /);
  });

  it('whole days come from daily rollups and the hours around them from hourly ones, adding up to the hourly sums', async () => {
    const since = new Date(NOW - 7 * 86_400_000);
    const mixed = await loadRollupHistory({ models, routeId: 'r1', since, now: new Date(NOW), resolution: 'hour' });
    const hourly = await models.RouteHealthRollup.find({ routeId: 'r1', resolution: 'hour', start: { $gte: mixed!.from, $lt: mixed!.to } }).lean();
    expect(hourly.reduce((s, r) => s + r.samples, 0)).toBe(20);
    expect(mixed!.totals).toMatchObject({
      samples: 20,
      upSamples: 10,
      degradedSamples: 5,
      downSamples: 5,
      latencySum: 350,
      latencyCount: 15,
      latencyMax: 50,
      lossSum: 520,
    });
    expect(mixed!.to.getTime()).toBeLessThanOrEqual(floorHour(NOW));
  });

  it('over 60 days reads daily rollups; up to 48 h still raw snapshots, with the current hour', async () => {
    const long = await history('history r1 90d');
    expect(long.text.split('\n')[0]).toMatch(/^\*r1\*, last 2160 h \(daily rollups, \d{4}-\d\d-\d\d 00:00 UTC to .*\): 24 measurements · up 58\.33 % /);
    const short = await history('history r1 48h');
    expect(short.text.split('\n')[0]).toBe('*r1*, last 48 h: 3 measurements · up 100.00 % · degraded 0.00 % · down 0.00 %');
    expect((await history('history r2 90d')).text).toMatch(/7 measurements/);
  });
});
