import { createLogger } from '../../src/logger';
import { LocalSweepFallback } from '../../src/sweeper/local-sweep-fallback';
import { until } from '../support/until';

/**
 * Who sweeps a shard when agenda cannot (the database away): only the process agenda ran it
 * on last, and only while the database is silent. The chaos test
 * (test/chaos/ferretdb-outage.test.ts) shows it on a real FerretDB; these cover the rules.
 */
const TICK_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fallback(opts: { standBackAfterMs?: number } = {}) {
  const state = { databaseUp: true, ticks: 0 };
  const f = new LocalSweepFallback({
    shard: 0,
    tickMs: TICK_MS,
    tick: () => Promise.resolve(void (state.ticks += 1)),
    databaseAnswers: () => Promise.resolve(state.databaseUp),
    standBackAfterMs: opts.standBackAfterMs ?? 60_000,
    logger: createLogger('silent'),
  });
  f.start();
  return { f, state };
}

const running: LocalSweepFallback[] = [];
afterEach(() => running.splice(0).forEach((f) => f.stop()));

it('the process agenda ran the shard on takes over while the database is silent, and hands back when agenda runs it again', async () => {
  const { f, state } = fallback();
  running.push(f);
  f.agendaRan();
  state.databaseUp = false;
  await until('local ticks', () => state.ticks >= 5, 5_000);
  expect(f.stats()).toMatchObject({ mode: 'local', takeovers: 1 });
  // The database is back and agenda runs the job here every tick again.
  state.databaseUp = true;
  const agenda = setInterval(() => f.agendaRan(), TICK_MS);
  try {
    f.agendaRan();
    const ticks = state.ticks;
    await sleep(20 * TICK_MS);
    expect(state.ticks).toBe(ticks);
    expect(f.stats()).toMatchObject({ mode: 'agenda', takeovers: 1 });
  } finally {
    clearInterval(agenda);
  }
});

it('a process agenda never ran the shard on does not sweep it', async () => {
  const { f, state } = fallback();
  running.push(f);
  state.databaseUp = false;
  await sleep(20 * TICK_MS);
  expect(state.ticks).toBe(0);
});

it('agenda late here while the database answers: another process has the shard, so this one stays out even if the database then goes', async () => {
  const { f, state } = fallback();
  running.push(f);
  f.agendaRan();
  await sleep(10 * TICK_MS); // overdue (5 ticks) with the database answering
  state.databaseUp = false;
  await sleep(20 * TICK_MS);
  expect(state.ticks).toBe(0);
  expect(f.stats()).toMatchObject({ mode: 'agenda', takeovers: 0 });
});

it('stands back once the database has answered for standBackAfterMs and agenda still runs the shard elsewhere', async () => {
  const { f, state } = fallback({ standBackAfterMs: 10 * TICK_MS });
  running.push(f);
  f.agendaRan();
  state.databaseUp = false;
  await until('local mode', () => f.stats().mode === 'local', 5_000);
  state.databaseUp = true;
  await until('stood back', () => f.stats().mode === 'agenda', 5_000);
  const ticks = state.ticks;
  await sleep(20 * TICK_MS);
  expect(state.ticks).toBe(ticks);
});
