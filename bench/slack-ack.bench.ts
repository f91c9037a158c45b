// npm run bench -- slack-ack [--presses 50] [--worker-process 1]
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
import { NativeConnection } from '@temporalio/worker';
import { importRouteFile } from '../src/directory/import-routes';
import { loadConfig, type Config } from '../src/config';
import { createLogger, type Logger } from '../src/logger';
import mongoose from 'mongoose';
import { spawnCli } from '../test/support/cli';
import { models } from '../src/models';
import { createWorker } from '../src/worker/create-worker';
import { routeTransition } from '../workflows/messages';
import { writeTempFile } from '../test/fixtures/route-files';
import { slackEnv, startTestSlackBot, SIGNING_SECRET } from '../test/support/slack-bot-rig';
import { blockActionRequest } from '../test/support/slack-requests';
import { startSlackSimulator } from '../test/support/slack-simulator';
import { until } from '../test/support/until';
import { benchDatabase, numberOption, percentile } from './support';

async function inProcessWorker(address: string, config: Config, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const native = await NativeConnection.connect({ address });
  const worker = await createWorker({ connection: native, config, models, logger });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await native.close();
    },
  };
}

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

function routeFile(n: number): string {
  const routes = Array.from({ length: n }, (_, i) => `  - id: ack-${i}
    name: Ack bench route ${i}
    environment: bench
    primary: true
    class: core
    probes: [{ kind: icmp, target: 198.18.200.${i + 1} }]
    paths: [{ id: primary, role: primary, nextHop: 198.18.201.1 }]
    owner: { team: net }`);
  return `version: 1
classes: [{ id: core, thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 } }]
teams: [{ id: net, name: Net, contact: net@example.com }]
routes:
${routes.join('\n')}
`;
}

export async function run(args: string[]): Promise<void> {
  const presses = numberOption(args, 'presses', 50);
  const db = await benchDatabase({}, { temporal: true });
  const sim = await startSlackSimulator();
  const logger = createLogger('warn');
  const address = db.stack.endpoints.temporalAddress!;
  const config = loadConfig({ ...slackEnv(sim), TEMPORAL_TASK_QUEUE: 'bench-slack-ack' });
  const yaml = routeFile(presses);
  await importRouteFile(writeTempFile(yaml), { models, maxBytes: yaml.length + 1, actor: { platform: 'cli', id: 'bench' }, logger });
  const separate = numberOption(args, 'worker-process', 0) === 1;
  const worker = separate ? await workerProcess(address, db.stack.endpoints.mongoUri!) : await inProcessWorker(address, config, logger);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const bot = await startTestSlackBot(sim, client);
  try {
    const at = new Date().toISOString();
    for (let i = 0; i < presses; i++) {
      await client.workflow.signalWithStart('outageWorkflow', {
        workflowId: `outage:ack-${i}`,
        taskQueue: 'bench-slack-ack',
        args: [{ key: `route:ack-${i}`, confirm: { attempts: 0, intervalMs: 0 } }],
        signal: routeTransition,
        signalArgs: [{ routeId: `ack-${i}`, kind: 'down', at, status: 'down', score: 0, taxonomy: ['unreachable'], cause: 'probe' }],
      });
    }
    await until('every incident open', async () => (await models.Incident.countDocuments({ state: 'open' })) === presses, 60_000);
    const incidents = await models.Incident.find({}, { _id: 1 }).lean();

    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const requests = incidents.map((inc) =>
      blockActionRequest({ signingSecret: SIGNING_SECRET, actionId: 'incident_ack', value: inc._id, userId: 'U0BOB', userName: 'bob', channelId: 'C0NOC', messageTs: '1700000000.000100', responseUrl: sim.responseUrl() }),
    );
    const fired = fireFromAnotherProcess(requests.map((r) => ({ url: bot.url, ...r })));
    const appliedAt: number[] = [];
    await Promise.all(
      incidents.map((inc) =>
        until('acknowledged', () => models.Incident.exists({ _id: inc._id, acknowledgedAt: { $exists: true } }), 60_000, { everyMs: 10 }).then(() => appliedAt.push(Date.now())),
      ),
    );
    const { sentAt, results: responses } = await fired;
    const applied = appliedAt.map((t) => t - sentAt);
    lag.disable();
    console.log(`event loop delay while pressing: p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
    const ms = responses.map((r) => r.ms);
    const bad = responses.filter((r) => r.status !== 200).length;
    const f0 = (v: number) => v.toFixed(0);
    console.log(`responses: ${responses.length}, non-200: ${bad}; all ${applied.length} acknowledgements applied`);
    console.log(`worker: ${separate ? 'its own process' : 'in the bot process'}`);
    console.log(`BENCH slack-ack p50_ms=${f0(percentile(ms, 50))} p99_ms=${f0(percentile(ms, 99))} applied_p50_ms=${f0(percentile(applied, 50))} applied_p99_ms=${f0(percentile(applied, 99))} errors=${bad} n=${ms.length}`);
  } finally {
    await bot.stop();
    await worker.stop();
    await connection.close();
    await sim.close();
    await db.stop();
  }
}
