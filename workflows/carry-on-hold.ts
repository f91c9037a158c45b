import type { Outage } from './outage';

/**
 * Runs `work` as part of the run: continue-as-new waits until it is done (outage.executing),
 * rather than abandoning the activity it runs and starting it again in the next run.
 */
export async function holdingCarryOn<T>(outage: Pick<Outage, 'executing'>, work: () => Promise<T>): Promise<T> {
  outage.executing += 1;
  try {
    return await work();
  } finally {
    outage.executing -= 1;
  }
}
