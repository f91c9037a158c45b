// npm run bench -- slack-ack [--presses 50] [--worker-process 1] (--quick: 5 presses)
// Acknowledge pressed on 50 open incidents at once, as signed Slack requests to the Bolt app
// over HTTP: each response is timed (Slack wants it within 3 s), and so is the moment the
// outage workflow has recorded the acknowledgement (applied). By default the Temporal worker
// shares the bot's process, as in `npm start`; --worker-process 1 runs it as its own
// `statetrace worker` (scaled out). The Slack simulator always shares the bot's process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { text } from 'node:stream/consumers';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import mongoose from 'mongoose';
import { spawnCli } from '../test/support/cli';
import { slackEnv, startTestSlackBot, SIGNING_SECRET } from '../test/support/slack-bot-rig';
import { blockActionRequest } from '../test/support/slack-requests';
import { startSlackSimulator } from '../test/support/slack-simulator';
import { acknowledgedTimes, importAckRoutes, inProcessWorker, openOutages } from './ack-support';
import { benchDatabase, numberOption, percentile, type Benchmark } from './support';

/** `statetrace worker` as a child process on the same servers and task queue. */
async function workerProcess(address: string, mongoUri: string): Promise<{ stop(): Promise<void> }> {
  const uri = new URL(mongoUri);
  uri.pathname = `/${mongoose.connection.db!.databaseName}`;
  const child = spawnCli(['worker'], { TEMPORAL_ADDRESS: address, MONGODB_URI: uri.toString(), TEMPORAL_TASK_QUEUE: 'bench-slack-ack', LOG_LEVEL: 'warn' });
  await new Promise((r) => setTimeout(r, 3000)); // polling by then; workflows wait on the task queue anyway
  return {
    async stop() {
      child.child.kill('SIGTERM');
      await child.exited;
    },
  };
}

/** Sends the requests at once from a child process (bench/fire-requests.ts) and returns their timings. */
async function fireFromAnotherProcess(requests: { url: string; body: string; headers: Record<string, string> }[]): Promise<{ sentAt: number; results: { status: number; ms: number }[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fire-requests.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(requests));
  const out = await text(child.stdout);
  return JSON.parse(out) as { sentAt: number; results: { status: number; ms: number }[] };
}

export const run: Benchmark = async (ctx) => {
  const presses = numberOption(ctx, 'presses', { full: 50, quick: 5 });
  const separate = numberOption(ctx, 'worker-process', { full: 0, quick: 0 }) === 1;
  const db = await benchDatabase(ctx, {}, { temporal: true });
  const sim = await ctx.teardown.own('Slack simulator', () => startSlackSimulator(), (s) => s.close());
  const logger = createLogger('warn');
  const address = db.stack.endpoints.temporalAddress!;
  const config = loadConfig({ ...slackEnv(sim), TEMPORAL_TASK_QUEUE: 'bench-slack-ack' });
  await importAckRoutes(presses, logger);
  await ctx.teardown.own('worker', () => (separate ? workerProcess(address, db.stack.endpoints.mongoUri!) : inProcessWorker(address, config, logger)), (w) => w.stop());
  const connection = await ctx.teardown.own('Temporal client', () => Connection.connect({ address }), (c) => c.close());
  const client = new Client({ connection });
  const bot = await ctx.teardown.own('Slack bot', () => startTestSlackBot(sim, client), (b) => b.stop());
  const incidents = await openOutages(client, presses, 'bench-slack-ack');

  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const requests = incidents.map((id) =>
    blockActionRequest({ signingSecret: SIGNING_SECRET, actionId: 'incident_ack', value: id, userId: 'U0BOB', userName: 'bob', channelId: 'C0NOC', messageTs: '1700000000.000100', responseUrl: sim.responseUrl() }),
  );
  const fired = fireFromAnotherProcess(requests.map((r) => ({ url: bot.url, ...r })));
  const appliedAt = await acknowledgedTimes(incidents);
  const { sentAt, results: responses } = await fired;
  const applied = appliedAt.map((t) => t - sentAt);
  lag.disable();
  console.log(`event loop delay while pressing: p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
  const ms = responses.map((r) => r.ms);
  const bad = responses.filter((r) => r.status !== 200).length;
  console.log(`responses: ${responses.length}, non-200: ${bad}; all ${applied.length} acknowledgements applied`);
  console.log(`worker: ${separate ? 'its own process' : 'in the bot process'}`);
  return {
    fields: {
      p50_ms: Math.round(percentile(ms, 50)),
      p99_ms: Math.round(percentile(ms, 99)),
      applied_p50_ms: Math.round(percentile(applied, 50)),
      applied_p99_ms: Math.round(percentile(applied, 99)),
      errors: bad,
      n: ms.length,
    },
    problems: bad > 0 ? [`${bad} of ${responses.length} presses were not answered 200`] : [],
  };
};
