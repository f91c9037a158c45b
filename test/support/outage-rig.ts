import { execFileSync } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import { importRouteFile } from '../../src/directory/import-routes';
import { freePort } from '../../src/embedded/ports';
import { createLogger, type Logger } from '../../src/logger';
import { models } from '../../src/models';
import { outageKeyOf, startSweeperWithOutages } from '../../src/outage/start-outages';
import type { SweeperService } from '../../src/sweeper/run-sweeper';
import { createWorker } from '../../src/worker/create-worker';
import { createPdfRenderer } from '../../src/packets/pdf-renderer';
import { writeTempFile } from '../fixtures/route-files';
import { testbedUp, type Testbed } from '../testbed/testbed';

/**
 * The whole product on a testbed: the sweeper probing a route through the primary link,
 * the outage workflow on a Temporal server, the real activities (executor: `ip route
 * replace` in the edge namespace). Used by the end-to-end test and the failover benchmark.
 */
export interface OutageRig {
  tb: Testbed;
  config: Config;
  client: Client;
  sweeper: SweeperService;
  /** The id of the outage workflow of a route (with the rig's workflow id prefix); tb-route by default. */
  outageWorkflowId(routeId?: string, dependencies?: string[]): string;
  /** The next hop the edge namespace uses for the targets now. */
  edgeNextHop(): string;
  /** Stops the sweeper alone (its writers flushed), e.g. to count what it wrote; stop() then skips it. */
  stopSweeper(): Promise<void>;
  stop(): Promise<void>;
}

/** `flapping`: the class's flapping rule, when not the default (4 times down within 300 s). */
export function rigRouteFile(tb: Testbed, failbackDelaySec: number, opts: { flapping?: { transitions: number; windowSec: number } } = {}): string {
  const prefix = `${tb.targets[0]!.split('.').slice(0, 3).join('.')}.0/24`;
  const edge = `${tb.prefix}edge`;
  return `version: 1
classes:
  - id: fast
    thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 }
    debounce: { failuresToSuspect: 1, failuresToDown: 2, recoveriesToUp: 2, graceSec: 0 }
${opts.flapping ? `    flapping: { transitions: ${opts.flapping.transitions}, windowSec: ${opts.flapping.windowSec} }\n` : ''}teams:
  - { id: net, name: Net, contact: net@example.com, notify: [{ platform: console, target: noc, minSeverity: info }] }
failoverPolicies:
  - id: edge-static
    mode: automatic
    failoverThreshold: 50
    failbackThreshold: 80
    failbackDelaySec: ${failbackDelaySec}
    failbackMode: automatic
    executor: { kind: command, argv: [ip, -n, ${edge}, route, replace, "{{route.destination}}", via, "{{to.nextHop}}"], timeoutSec: 10 }
escalationPolicies:
  - id: std
    levels: [{ afterSec: 0, notify: ["team:net"] }, { afterSec: 600, notify: ["team:net"] }]
routes:
  - id: tb-route
    name: Testbed route
    environment: testbed
    primary: true
    class: fast
    destination: ${prefix}
    intervalSec: 1
    probes:
      - { kind: icmp-batch, target: ${tb.targets[0]}, count: 3, intervalMs: 20, timeoutMs: 300 }
    paths:
      - { id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress}, probe: { kind: icmp, target: ${tb.links.primary.coreAddress}, count: 3, intervalMs: 20, timeoutMs: 300 } }
      - { id: backup, role: backup, nextHop: ${tb.links.backup.coreAddress}, probe: { kind: icmp, target: ${tb.targets[0]}, count: 3, intervalMs: 20, timeoutMs: 300 } }
    owner: { team: net }
    failoverPolicy: edge-static
    escalationPolicy: std
`;
}

export async function startOutageRig(opts: {
  testbedId: number;
  temporalAddress: string;
  taskQueue: string;
  /**
   * STATETRACE_WORKFLOW_ID_PREFIX. Tests on the shared dev server pass isolateSuite()'s; unset:
   * the product's own ids (`outage:tb-route`), as the demo and benchmarks, alone on their server, show them.
   */
  workflowIdPrefix?: string;
  failbackDelaySec: number;
  env?: NodeJS.ProcessEnv;
  /** Targets behind the core (default 1) and another route file than rigRouteFile's. */
  targets?: number;
  routeFile?: (tb: Testbed) => string;
  /** Where the product logs (default: warnings on stdout). */
  logger?: Logger;
}): Promise<OutageRig> {
  const logger = opts.logger ?? createLogger('warn');
  const trapPort = await freePort();
  const tb = await testbedUp({ id: opts.testbedId, targets: opts.targets ?? 1, trapSink: { port: trapPort } });
  const config = loadConfig({
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    STATETRACE_WORKFLOW_ID_PREFIX: opts.workflowIdPrefix ?? '',
    STATETRACE_SWEEP_TICK_MS: '200',
    STATETRACE_TRAP_PORT: String(trapPort),
    STATETRACE_TRAP_ADDRESS: tb.hostAddress,
    STATETRACE_TRAP_COMMUNITIES: 'public',
    STATETRACE_RESOLVE_STABLE_SEC: '5',
    STATETRACE_FAILBACK_CHECK_SEC: '1',
    ...opts.env,
  });
  const routes = opts.routeFile ? opts.routeFile(tb) : rigRouteFile(tb, opts.failbackDelaySec);
  await importRouteFile(writeTempFile(routes), { models, maxBytes: Buffer.byteLength(routes) + 1, actor: { platform: 'cli', id: 'rig' }, logger });

  const nativeConnection = await NativeConnection.connect({ address: opts.temporalAddress });
  const renderer = createPdfRenderer({ executablePath: config.chromiumPath, user: config.pdfUser, logger });
  const worker: Worker = await createWorker({ connection: nativeConnection, config, models, logger, renderer });
  const running = worker.run();
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const client = new Client({ connection });
  const sweeper = await startSweeperWithOutages({ config, models, client, logger });
  const prefix = `${tb.targets[0]!.split('.').slice(0, 3).join('.')}.0/24`;
  let sweeperStopped: Promise<void> | undefined;
  const stopSweeper = () => (sweeperStopped ??= sweeper.stop());
  return {
    tb,
    config,
    client,
    sweeper,
    outageWorkflowId: (routeId = 'tb-route', dependencies = []) => outageKeyOf({ id: routeId, dependencies }, config.temporal.workflowIdPrefix).workflowId,
    edgeNextHop: () => /via (\S+)/.exec(execFileSync('ip', ['-n', `${tb.prefix}edge`, 'route', 'show', prefix], { encoding: 'utf8' }))?.[1] ?? 'none',
    stopSweeper,
    async stop() {
      await stopSweeper();
      worker.shutdown();
      await running;
      await renderer.close();
      await nativeConnection.close();
      await connection.close();
      await tb.down();
    },
  };
}
