import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { toolPaths } from '../../src/tools';
import { World, worldActivities } from './world';

interface Running {
  worker: Worker;
  run: Promise<void>;
}

/**
 * One lane of the model test: a time-skipping test server and the workers that run its
 * histories one after the other. Two task queues: one worker caches workflows as production
 * does, the other caches none (every workflow task replays the history). Creating a worker costs
 * seconds, so a lane keeps its workers and their activities look up the world of the workflow
 * that calls them.
 */
export class Lane {
  private readonly worlds = new Map<string, World>();
  private readonly workers = new Map<boolean, Running>();
  private sequence = 0;
  private server?: TestWorkflowEnvironment;

  constructor(
    readonly id: number,
    private readonly workflowCodePath: string,
  ) {}

  get env(): TestWorkflowEnvironment {
    if (!this.server) throw new Error(`lane ${this.id} is not started`);
    return this.server;
  }

  taskQueue(cacheless: boolean): string {
    return `model-lane-${this.id}-${cacheless ? 'replaying' : 'cached'}`;
  }

  /** A workflow id never used before on this lane, bound to its world until released. */
  claim(world: World): string {
    const workflowId = `outage:dep:model-${this.id}-${++this.sequence}`;
    this.worlds.set(workflowId, world);
    return workflowId;
  }

  release(workflowId: string): void {
    this.worlds.delete(workflowId);
  }

  async start(): Promise<void> {
    this.server = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: toolPaths(loadConfig().toolsDir).temporalTestServer } },
    });
    await Promise.all([false, true].map((cacheless) => this.startWorker(cacheless)));
  }

  /**
   * A new server and workers, after a history that held the clock: the test server keeps
   * re-sending an update that was never accepted, which would hold it for every later history.
   */
  async reset(): Promise<void> {
    await this.close();
    await this.start();
  }

  /** A worker restart: in-flight activities are cut off and the next task replays from history. */
  async restart(cacheless: boolean): Promise<void> {
    await this.stopWorker(cacheless);
    await this.startWorker(cacheless);
  }

  async close(): Promise<void> {
    await Promise.all([false, true].map((cacheless) => this.stopWorker(cacheless)));
    await this.server?.teardown();
    this.server = undefined;
  }

  private async startWorker(cacheless: boolean): Promise<void> {
    const worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue(cacheless),
      workflowBundle: { codePath: this.workflowCodePath },
      activities: worldActivities((workflowId) => {
        const world = this.worlds.get(workflowId);
        if (!world) throw new Error(`no world for ${workflowId}: its history has ended`);
        return world;
      }),
      ...(cacheless ? { maxCachedWorkflows: 0 } : {}),
    });
    this.workers.set(cacheless, { worker, run: worker.run() });
  }

  private async stopWorker(cacheless: boolean): Promise<void> {
    const running = this.workers.get(cacheless);
    if (!running) return;
    this.workers.delete(cacheless);
    running.worker.shutdown();
    await running.run;
  }
}
