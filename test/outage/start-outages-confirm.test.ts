import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import type { Transition } from '../../src/health/debounce';
import type { Evaluation } from '../../src/health/evaluate';
import { createLogger } from '../../src/logger';
import { outageStarter } from '../../src/outage/start-outages';
import type { SweepRoute } from '../../src/sweeper/sweep-routes';
import type { OutageInput } from '../../workflows/outage';
import { until } from '../support/until';

/**
 * The sweeper starts an outage with a `confirm` only when the environment overrides the
 * route classes' (STATETRACE_CONFIRM_ATTEMPTS); otherwise the workflow takes the class's from
 * the route context. A client double records what would go to Temporal.
 */
async function startedInput(env: NodeJS.ProcessEnv): Promise<OutageInput> {
  const started: OutageInput[] = [];
  const signalWithStart = (_type: string, opts: { args: [OutageInput] }) => {
    started.push(opts.args[0]);
    return Promise.resolve();
  };
  const client = { workflow: { signalWithStart } } as unknown as Client;
  const deps = { client, taskQueue: 'q', workflowIdPrefix: '', logger: createLogger('silent'), timing: loadConfig(env).outage };
  const starter = outageStarter(deps);
  const route = { id: 'r1', dependencies: [] } as unknown as SweepRoute;
  const down: Transition = { kind: 'down', from: 'suspect', to: 'down', at: new Date(), cause: 'probe', consecutiveFailures: 3 };
  starter.onTransition(route, down, { status: 'down', score: 0, confidence: 1, taxonomy: ['unreachable'], sources: [] } as unknown as Evaluation);
  await until('the outage started', () => started.length === 1, 5_000);
  await starter.stop();
  return started[0]!;
}

it('leaves confirmation to the route class by default', async () => {
  const input = await startedInput({});
  expect(input).not.toHaveProperty('confirm');
  expect(input).toMatchObject({ key: 'route:r1', stableForMs: 120_000 });
});

it('passes the environment override on to every outage', async () => {
  expect((await startedInput({ STATETRACE_CONFIRM_ATTEMPTS: '0' })).confirm).toEqual({ attempts: 0, intervalMs: 1000 });
  expect((await startedInput({ STATETRACE_CONFIRM_ATTEMPTS: '2', STATETRACE_CONFIRM_INTERVAL_MS: '400' })).confirm).toEqual({ attempts: 2, intervalMs: 400 });
});
