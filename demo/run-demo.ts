/**
 * The demo itself (demo.ts starts it): one real outage, start to end, in about a minute.
 * Testbed 0 (network namespaces), the embedded Temporal dev server and FerretDB in a temporary
 * folder, the worker and the sweeper in this process; then the primary link is cut and every
 * phase is narrated from the product's own records. Everything it started is stopped again,
 * also on SIGINT / SIGTERM / SIGHUP and when a step fails. Root only (namespaces).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { connectDatabase, disconnectDatabase } from '../src/db/connect';
import { openStack, type Stack } from '../src/embedded/stack';
import { createLogger, type Logger } from '../src/logger';
import { models } from '../src/models';
import { loadStatusBoard } from '../src/status/status-board';
import { temporalSdkLogger } from '../src/temporal/sdk-logger';
import { startOutageRig, type OutageRig } from '../test/support/outage-rig';
import { processesMentioning } from '../test/support/processes';
import { namespaceExists } from '../test/testbed/exec';
import { planFor } from '../test/testbed/plan';
import { testbedAvailable, testbedDown } from '../test/testbed/testbed';
import { eventOf, readOutage, type OutageRecords } from './outage-records';
import { edgeRoute, PHASES, type PhaseContext } from './phases';
import { Progress } from './progress';
import { DEMO_ROUTE_ID, demoRouteFile, destinationOf } from './route-file';

const TESTBED_ID = 0;
const OUT_DIR = path.join(PROJECT_ROOT, 'demo-output');
/** Short outage timings (config env, as the end-to-end test uses): resolve after 5 s stable, failback checks every second. */
const RESOLVE_STABLE_SEC = 5;
const FAILBACK_CHECK_SEC = 1;
const POLL_MS = 300;

const STEPS: [string, string][] = [
  ['stack', 'Start Temporal dev server + FerretDB'],
  ['product', `Build testbed ${TESTBED_ID}, import routes, start worker + sweeper`],
  ['healthy', 'Route healthy on its primary link'],
  ['cut', 'Cut the primary link'],
  ...PHASES.map((p): [string, string] => [p.id, p.label]),
  ['packet', 'Packet'],
  ['cleanup', 'Clean up'],
];

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** What this run started, so the clean-up stops exactly that. */
interface Run {
  progress: Progress;
  logger: Logger;
  stop: AbortController;
  dataDir: string;
  stack?: Stack;
  /** Set once the demo starts building testbed 0 (never for one it found already up). */
  ownsTestbed: boolean;
  rig?: OutageRig;
  summary?: string;
}

/** Why the demo cannot run here, before it touches anything. */
async function refusal(chromium: string): Promise<string | undefined> {
  if (!(await testbedAvailable())) return 'the demo builds network namespaces: run it as root, after `npm run setup` (it needs ip and nft)';
  const plan = planFor(TESTBED_ID);
  if (fs.existsSync(plan.stateDir) || (await namespaceExists(plan.edgeNs)) || (await namespaceExists(plan.coreNs))) {
    return `testbed ${TESTBED_ID} is already up (${plan.edgeNs}, ${plan.coreNs}). The demo builds its own and will not tear yours down: ` +
      `remove it with \`npm run testbed -- down --id ${TESTBED_ID}\`, then run the demo again`;
  }
  if (!fs.existsSync(chromium)) return `${chromium} is missing (incident packets are printed with it): run \`npm run setup\``;
  return undefined;
}

/** Resolves after ms, or rejects at once with the reason the run was stopped. */
function pause(run: Run, ms: number): Promise<void> {
  run.stop.signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(run.stop.signal.reason as Error);
    };
    const timer = setTimeout(() => {
      run.stop.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    run.stop.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls get() until it gives a value; after timeoutMs fails with `what` and what was last seen. */
async function until<T>(run: Run, what: string, timeoutMs: number, get: () => Promise<T | undefined>, seen: () => string = () => ''): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    run.stop.signal.throwIfAborted();
    const value = await get();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s${seen() ? ` (last seen: ${seen()})` : ''}`);
    await pause(run, POLL_MS);
  }
}

/**
 * Reads the outage's records every POLL_MS and ticks each phase off as they show it, until
 * every phase in `wanted` is done. Phases start (spinner) once the one they follow is done.
 */
async function narrate(run: Run, ctx: PhaseContext, wanted: string[], timeoutMs: number): Promise<OutageRecords> {
  const { progress, rig } = run;
  let last: OutageRecords = { timeline: [], notifications: [], executorRuns: [] };
  const running = () => PHASES.filter((p) => progress.state(p.id) === 'running');
  return until(
    run,
    wanted.filter((id) => !progress.isDone(id)).join(', '),
    timeoutMs,
    async () => {
      last = await readOutage({ models, client: rig!.client }, DEMO_ROUTE_ID, { queryWorkflow: last.incident?.state !== 'resolved' });
      for (const phase of PHASES) {
        if (progress.state(phase.id) !== 'pending') continue;
        if (phase.after ? progress.isDone(phase.after) : wanted.includes(phase.id)) progress.start(phase.id, phase.waiting(last, ctx));
      }
      for (const phase of running()) {
        const result = phase.check(last, ctx);
        if (!result) {
          progress.detail(phase.id, phase.waiting(last, ctx));
          continue;
        }
        progress.done(phase.id, result.detail);
        for (const line of result.notes ?? []) progress.note(`  ${phase.label}: ${line}`);
      }
      return wanted.every((id) => progress.isDone(id)) ? last : undefined;
    },
    () => running().map((p) => `${p.label}: ${p.waiting(last, ctx)}`).join('; '),
  );
}

async function startProduct(run: Run): Promise<OutageRig> {
  const { progress, logger } = run;
  progress.start('stack', `data folder ${run.dataDir}`);
  const stackConfig = loadConfig({
    ...process.env,
    STATETRACE_DATA_DIR: run.dataDir,
    // Free ports, never the user's: a `statetrace start` or the test suite may run beside it.
    STATETRACE_TEMPORAL_PORT: '0',
    STATETRACE_TEMPORAL_UI_PORT: '0',
    STATETRACE_FERRETDB_PORT: '0',
    TEMPORAL_ADDRESS: '',
    MONGODB_URI: '',
  });
  run.stack = await openStack(stackConfig, logger, { temporal: true, mongo: true });
  const { temporalAddress, mongoUri } = run.stack.endpoints as Required<Stack['endpoints']>;
  await connectDatabase(mongoUri, logger, { dbName: 'statetrace' });
  progress.done('stack', `Temporal ${temporalAddress}, FerretDB ${new URL(mongoUri).host}`);
  run.stop.signal.throwIfAborted();

  progress.start('product', `namespaces ${planFor(TESTBED_ID).edgeNs}, ${planFor(TESTBED_ID).coreNs}`);
  run.ownsTestbed = true;
  run.rig = await startOutageRig({
    testbedId: TESTBED_ID,
    temporalAddress,
    taskQueue: 'statetrace-demo',
    failbackDelaySec: 5, // for the rig's own route file; routes.demo.yaml sets its own
    logger,
    env: {
      STATETRACE_RESOLVE_STABLE_SEC: String(RESOLVE_STABLE_SEC),
      STATETRACE_FAILBACK_CHECK_SEC: String(FAILBACK_CHECK_SEC),
      STATETRACE_CHROMIUM: stackConfig.chromiumPath,
    },
    routeFile: (tb) => {
      const routes = demoRouteFile(tb);
      fs.writeFileSync(path.join(OUT_DIR, 'routes.demo.filled.yaml'), routes);
      return routes;
    },
  });
  progress.done('product', `route ${DEMO_ROUTE_ID} → ${destinationOf(run.rig.tb)}, worker and sweeper running`);
  progress.note(`  imported: ${path.relative(process.cwd(), path.join(OUT_DIR, 'routes.demo.filled.yaml'))} (demo/routes.demo.yaml, filled in)`);
  if (run.stack.started.temporal) progress.note(`  Temporal UI while it runs: ${run.stack.started.temporal.uiUrl} (workflow outage:${DEMO_ROUTE_ID})`);
  return run.rig;
}

async function runDemo(run: Run): Promise<void> {
  const { progress } = run;
  const rig = await startProduct(run);
  const ctx: PhaseContext = { tb: rig.tb, destination: destinationOf(rig.tb), cutAt: 0, edgeNextHop: () => rig.edgeNextHop() };

  progress.start('healthy', 'waiting for the sweeper to measure it');
  const status = await until(run, `healthy measurement of ${DEMO_ROUTE_ID}`, 30_000, async () => {
    const entry = (await loadStatusBoard(models)).get(DEMO_ROUTE_ID);
    return entry?.status === 'up' && ctx.edgeNextHop() === rig.tb.links.primary.coreAddress ? entry : undefined;
  });
  progress.done('healthy', `score ${status.score}${status.latencyMs === undefined ? '' : `, ${status.latencyMs.toFixed(2)} ms`}; ${edgeRoute(ctx)}`);

  progress.start('cut', `${rig.tb.links.primary.edgeIf} down`);
  ctx.cutAt = Date.now();
  await rig.tb.fail('primary');
  progress.done('cut', `${rig.tb.links.primary.edgeIf} set down in ${rig.tb.prefix}edge; nobody acknowledges`);
  await narrate(run, ctx, ['detection', 'alert', 'failover', 'escalation'], 60_000);

  progress.start('heal', `${rig.tb.links.primary.edgeIf} up`);
  ctx.healAt = Date.now();
  await rig.tb.heal('primary');
  const records = await narrate(run, ctx, ['heal', 'failback', 'resolve'], 90_000);
  await savePacket(run, ctx, records);
}

/** The packet the workflow printed on resolution, copied out of the database before it is deleted. */
async function savePacket(run: Run, ctx: PhaseContext, resolved: OutageRecords): Promise<void> {
  const { progress } = run;
  const incident = resolved.incident!;
  progress.start('packet', 'the workflow prints it on resolution (Chromium)');
  const packet = await until(run, `incident packet of ${incident._id}`, 60_000, async () => {
    const failed = eventOf(await readOutage({ models, client: run.rig!.client }, DEMO_ROUTE_ID, { queryWorkflow: false }), 'packet_failed');
    if (failed) throw new Error(failed.message);
    // Not lean: mongoose gives the stored bytes back as a Buffer.
    const doc = await models.IncidentPacket.findById(incident._id);
    return doc ? { pdf: doc.pdf, pages: doc.pages, pdfBytes: doc.pdfBytes } : undefined;
  });
  const file = path.join(OUT_DIR, `${incident._id}.pdf`);
  fs.writeFileSync(file, packet.pdf);
  const shown = path.relative(process.cwd(), file);
  progress.done('packet', `${shown} (${packet.pages ?? '?'} pages, ${Math.round(packet.pdfBytes / 1024)} KB)`);
  progress.note(`  ${shown}: copied out of the demo's database, which is deleted at the end`);

  const s = (at: Date | null | undefined, from: number) => (at ? `${((new Date(at).getTime() - from) / 1000).toFixed(1)} s` : '?');
  const done = await readOutage({ models, client: run.rig!.client }, DEMO_ROUTE_ID, { queryWorkflow: false });
  const i = done.incident!;
  run.summary =
    `Incident ${i._id} (${i.severity}): the primary link of route ${DEMO_ROUTE_ID} was cut; StateTrace detected it ` +
    `${s(i.detectedAt, ctx.cutAt)} later and paged the NOC, failed the route over to its backup link ${s(i.failedOverAt, ctx.cutAt)} after the cut ` +
    `(\`ip route replace\` in ${ctx.tb.prefix}edge, verified by probes), and escalated to the network leads when nobody acknowledged. ` +
    `Once the link was healed it failed back to the primary ${s(i.failedBackAt, ctx.healAt!)} later and resolved the incident by itself ` +
    `${s(i.resolvedAt, ctx.cutAt)} after the cut (time to resolve from detection: ${i.mttrSec === undefined || i.mttrSec === null ? '?' : i.mttrSec.toFixed(1)} s). Incident packet: ${shown}.`;
}

/** Runs `what` for at most timeoutMs; a failure or timeout is returned as text, never thrown. */
async function attempt(what: string, fn: () => Promise<unknown>, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs)))]);
    return undefined;
  } catch (err) {
    return `${what}: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops everything the run started, in reverse order, then checks nothing of it is left. */
async function cleanUp(run: Run): Promise<boolean> {
  const { progress } = run;
  const problems: (string | undefined)[] = [];
  progress.start('cleanup', 'stopping the sweeper and the worker');
  // The rig's stop also takes the testbed down; testbedDown again covers a start that failed half-way.
  if (run.rig) problems.push(await attempt('worker and sweeper', () => run.rig!.stop(), 30_000));
  if (run.ownsTestbed) {
    progress.detail('cleanup', `tearing down testbed ${TESTBED_ID}`);
    problems.push(await attempt(`testbed ${TESTBED_ID}`, () => testbedDown(TESTBED_ID), 30_000));
  }
  progress.detail('cleanup', 'stopping Temporal and FerretDB');
  problems.push(await attempt('database connection', disconnectDatabase, 10_000));
  if (run.stack) problems.push(await attempt('Temporal and FerretDB', () => run.stack!.stop(), 30_000));
  fs.rmSync(run.dataDir, { recursive: true, force: true });

  const plan = planFor(TESTBED_ID);
  const left = [
    ...(run.ownsTestbed ? [plan.edgeNs, plan.coreNs] : []).filter((ns) => fs.existsSync(`/run/netns/${ns}`)).map((ns) => `namespace ${ns}`),
    ...processesMentioning(run.dataDir).map((pid) => `process ${pid} (data folder)`),
    ...(run.ownsTestbed ? processesMentioning(`${plan.stateDir}/`) : []).map((pid) => `process ${pid} (testbed)`),
  ];
  const failures = [...problems.filter((p): p is string => p !== undefined), ...(left.length ? [`left behind: ${left.join(', ')}`] : [])];
  if (failures.length) progress.fail('cleanup', failures.join('; '));
  else progress.done('cleanup', `worker, sweeper, Temporal, FerretDB stopped; testbed ${TESTBED_ID} down; data folder removed; nothing left running`);
  return failures.length === 0;
}

async function main(): Promise<number> {
  // Handlers first: from here on a stop signal ends the run through the clean-up below.
  const stop = new AbortController();
  let say = (text: string): unknown => process.stderr.write(`${text}\n`);
  let repeated = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      if (!repeated) say(`${signal} again: still cleaning up, a moment`);
      repeated = true;
      return;
    }
    say(`${signal}: stopping; cleaning up everything the demo started`);
    stop.abort(new Interrupted(signal));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  const refused = await refusal(loadConfig(process.env).chromiumPath);
  if (refused) {
    process.stderr.write(`npm run demo: ${refused}\n`);
    return 1;
  }
  if (stop.signal.reason instanceof Interrupted) return 128 + os.constants.signals[stop.signal.reason.signal];
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Output of a run, not source: kept out of git without touching the repository's .gitignore.
  fs.writeFileSync(path.join(OUT_DIR, '.gitignore'), '*\n');
  fs.rmSync(path.join(OUT_DIR, 'server-logs'), { recursive: true, force: true }); // an earlier failure's
  const logFile = path.join(OUT_DIR, 'demo.log');
  const logger = createLogger('info', pino.destination({ dest: logFile, sync: true, append: false }));
  // The demo stops the worker itself, in order, on SIGINT/SIGTERM; the SDK logs to the file.
  Runtime.install({ shutdownSignals: [], logger: temporalSdkLogger(logger) });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-demo-'));
  // Temporary files of this process and its children (route file, Chromium profile) go there too.
  fs.mkdirSync(path.join(dataDir, 'tmp'));
  process.env.TMPDIR = path.join(dataDir, 'tmp');
  const progress = new Progress('StateTrace demo: a route outage, end to end', STEPS);
  say = (text) => progress.note(text);
  const run: Run = { progress, logger, stop, dataDir, ownsTestbed: false };
  // A worker failing in the background, or a closed stdout (`npm run demo | head`), must end
  // the run through the clean-up, not crash past it and leave testbed 0 up.
  const failed = (err: unknown) => {
    logger.error({ err }, 'unexpected error: stopping the demo');
    if (!stop.signal.aborted) stop.abort(err);
  };
  process.on('unhandledRejection', failed);
  process.on('uncaughtException', failed);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', failed);

  let code = 0;
  let failure: string | undefined;
  try {
    await runDemo(run);
    // A signal that came during a step that cannot be cut short (start-up) counts too.
    run.stop.signal.throwIfAborted();
  } catch (err) {
    const reason: unknown = run.stop.signal.aborted ? run.stop.signal.reason : err;
    code = reason instanceof Interrupted ? 128 + os.constants.signals[reason.signal] : 1;
    failure = reason instanceof Interrupted ? reason.message : `failed: ${(reason as Error).message ?? String(reason)}`;
    STEPS.filter(([id]) => progress.state(id) === 'running').forEach(([id], i) => progress.fail(id, i === 0 ? failure! : 'stopped'));
    // The servers' own logs, for a failure: the data folder they are in is deleted.
    const serverLogs = path.join(dataDir, 'logs');
    if (code === 1 && fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(OUT_DIR, 'server-logs'), { recursive: true, force: true });
  }
  if (!(await cleanUp(run)) && code === 0) code = 1;
  progress.close();
  const log = path.relative(process.cwd(), logFile);
  if (run.summary && code === 0) process.stdout.write(`\n${run.summary}\nProduct log: ${log}.\n`);
  else process.stdout.write(`\nThe demo ${failure ?? 'could not clean up everything'}. Product log: ${log}${code === 1 ? `; server logs: ${path.relative(process.cwd(), path.join(OUT_DIR, 'server-logs'))}` : ''}.\n`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`npm run demo: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
