import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import { importRouteFile } from '../src/directory/import-routes';
import type { Logger } from '../src/logger';
import { models } from '../src/models';
import { createWorker } from '../src/worker/create-worker';
import { routeTransition } from '../workflows/messages';
import { writeTempFile } from '../test/fixtures/route-files';
import { until } from '../test/support/until';

/** What the acknowledgement benchmarks (slack-ack, discord-ack) share: routes, a worker, open outages. */

export async function inProcessWorker(address: string, config: Config, logger: Logger): Promise<{ stop(): Promise<void> }> {
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

/** Imports routes ack-0 … ack-(n-1), owned by team net. */
export async function importAckRoutes(n: number, logger: Logger): Promise<void> {
  const yaml = routeFile(n);
  await importRouteFile(writeTempFile(yaml), { models, maxBytes: yaml.length + 1, actor: { platform: 'cli', id: 'bench' }, logger });
}

/** Starts an outage on each route and waits until every incident is open; returns their ids. */
export async function openOutages(client: Client, n: number, taskQueue: string): Promise<string[]> {
  const at = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    await client.workflow.signalWithStart('outageWorkflow', {
      workflowId: `outage:ack-${i}`,
      taskQueue,
      // No confirm: the class's (its debounce needs 3 failures, so none), as the sweeper starts them.
      args: [{ key: `route:ack-${i}` }],
      signal: routeTransition,
      signalArgs: [{ routeId: `ack-${i}`, kind: 'down', at, status: 'down', score: 0, taxonomy: ['unreachable'], cause: 'probe' }],
    });
  }
  await until('every incident open', async () => (await models.Incident.countDocuments({ state: 'open' })) === n, 60_000);
  return (await models.Incident.find({}, { _id: 1 }).lean()).map((i) => i._id);
}

/** Resolves once every incident records an acknowledgement; returns when each did (epoch ms). */
export async function acknowledgedTimes(incidentIds: string[]): Promise<number[]> {
  const at: number[] = [];
  await Promise.all(
    incidentIds.map((id) => until('acknowledged', () => models.Incident.exists({ _id: id, acknowledgedAt: { $exists: true } }), 60_000, { everyMs: 10 }).then(() => at.push(Date.now()))),
  );
  return at;
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
