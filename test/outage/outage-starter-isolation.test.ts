import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { Transition } from '../../src/health/debounce';
import type { Evaluation } from '../../src/health/evaluate';
import { createLogger } from '../../src/logger';
import { outageKeyOf, outageStarter, type OutageStarter } from '../../src/outage/start-outages';
import type { SweepRoute } from '../../src/sweeper/sweep-routes';
import { isolateSuite, type SuiteIsolation } from '../support/suite-isolation';
import { until } from '../support/until';
import { signalledTransitions } from '../support/workflow-signals';

/**
 * Two deployments (or two test files) on one Temporal namespace — the jest run's dev server —
 * with the same route id, each with its own workflow id prefix and task queue: the sweeper's
 * transitions of one never reach the other's outage workflow. No worker polls these task
 * queues, so a workflow only records the signals it gets, which is what is compared.
 */
const ROUTE = { id: 'tb-route', dependencies: [] } as unknown as SweepRoute;
const timing = loadConfig({}).outage;
const evaluation = (status: Evaluation['status']) => ({ status, score: status === 'up' ? 100 : 0, confidence: 1, taxonomy: [], sources: [] }) as Evaluation;
const base = Date.now();
const transition = (kind: Transition['kind'], n: number): Transition => ({ kind, from: 'healthy', to: 'down', at: new Date(base + n), cause: 'probe', consecutiveFailures: 2 });

let connection: Connection;
let client: Client;
const starters: OutageStarter[] = [];
beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(async () => {
  await Promise.all(starters.map((s) => s.stop()));
  await connection?.close();
});

function starterOf(site: SuiteIsolation): OutageStarter {
  const starter = outageStarter({ client, ...site, logger: createLogger('silent'), timing });
  starters.push(starter);
  return starter;
}

/** Hands one transition of tb-route to a sweeper's starter and waits until it has gone out. */
async function send(starter: OutageStarter, kind: Transition['kind'], n: number) {
  starter.onTransition(ROUTE, transition(kind, n), evaluation(kind === 'recovered' || kind === 'recovering' ? 'up' : 'down'));
  await until(`${kind} #${n} delivered`, () => starter.held() === 0, 10_000);
}

const received = async (workflowId: string) => (await signalledTransitions(client, workflowId)).map((s) => `${s.routeId} ${s.kind} #${Date.parse(s.at) - base}`);

it('the same route in two deployments: each outage workflow gets its own deployment’s transitions only', async () => {
  const siteA = isolateSuite('site-a');
  const siteB = isolateSuite('site-b');
  const idA = outageKeyOf(ROUTE, siteA.workflowIdPrefix).workflowId;
  const idB = outageKeyOf(ROUTE, siteB.workflowIdPrefix).workflowId;
  expect(idA).toBe(`${siteA.workflowIdPrefix}:outage:tb-route`);
  expect(idB).toBe(`${siteB.workflowIdPrefix}:outage:tb-route`);
  const sweeperA = starterOf(siteA);
  const sweeperB = starterOf(siteB);
  // Another process of deployment A (a sweeper of another shard): same prefix, same outages.
  const otherSweeperA = starterOf(siteA);
  try {
    await send(sweeperA, 'down', 0);
    // B has no outage of tb-route: its recovery is for nobody (without prefixes it reached A’s).
    await send(sweeperB, 'recovered', 1);
    await send(sweeperB, 'down', 2);
    await send(sweeperB, 'recovering', 3);
    await send(sweeperA, 'recovered', 4);
    await send(otherSweeperA, 'degraded', 5);

    expect(await received(idA)).toEqual(['tb-route down #0', 'tb-route recovered #4', 'tb-route degraded #5']);
    expect(await received(idB)).toEqual(['tb-route down #2', 'tb-route recovering #3']);
    expect((await client.workflow.getHandle(idA).describe()).taskQueue).toBe(siteA.taskQueue);
    expect((await client.workflow.getHandle(idB).describe()).taskQueue).toBe(siteB.taskQueue);
  } finally {
    for (const id of [idA, idB]) await client.workflow.getHandle(id).terminate('test done').catch(() => undefined);
  }
});
