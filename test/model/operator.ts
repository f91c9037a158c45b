import { WorkflowUpdateStage, type WorkflowHandle, type WorkflowUpdateHandle } from '@temporalio/client';
import { acknowledge, approveFailback, requestFailover, resolve, type OutageState } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import type { Repeat } from './sequence';
import type { ServerClock } from './server-clock';
import type { World } from './world';

export interface RequestRecord {
  kind: 'ack' | 'failover' | 'failback' | 'resolve';
  step: number;
  requestId?: string;
  routeId?: string;
  /** An earlier request with this id (same kind, same route) had been answered before this one was sent. */
  resend: boolean;
  concurrent: boolean;
  /** Server time it was sent. */
  sentAt: number;
  /** The workflow's state just before (open runs only). */
  before?: OutageState;
  /** Executor runs that existed when it was sent / when it was answered. */
  runsBefore: number;
  runsAtAnswer?: number;
  answer?: { result: string } & Record<string, unknown>;
  refused?: string;
  /** Not answered by the end of the history. */
  pending: boolean;
}

const OPERATOR = { platform: 'slack' as const, id: 'U-model', name: 'model' };

/** A platform's request id names one request: the model's small pool of ids is per kind and route. */
export const requestKey = (kind: string, { requestId, routeId }: { requestId?: string; routeId?: string }) => `${kind}:${routeId ?? ''}:${requestId}`;

/**
 * A person at the chat front end: each request is a Temporal update of the outage, as the command
 * core sends it, with the platform's request id. Answers are collected in the background while
 * server time passes, so a request that waits on an executor does not stop the clock.
 */
export class Operator {
  readonly requests: RequestRecord[] = [];
  private readonly answered = new Set<string>();

  constructor(
    private readonly handle: WorkflowHandle<typeof outageWorkflow>,
    private readonly world: World,
    private readonly clock: ServerClock,
    private readonly stateNow: () => Promise<OutageState | undefined>,
  ) {}

  acknowledge(step: number): Promise<void> {
    return this.ask('ack', step, { concurrent: false }).then((r) => this.answers([r]));
  }

  /** A request once, resent with its id after the answer, or two at once (same id, or another). */
  async request(kind: 'failover' | 'failback' | 'resolve', step: number, requestId: string, repeat: Repeat, routeId?: string): Promise<void> {
    const first = { requestId, routeId, concurrent: repeat.startsWith('concurrent') };
    if (repeat === 'once' || repeat === 'resend') {
      await this.answers([await this.ask(kind, step, first)]);
      if (repeat === 'resend') await this.answers([await this.ask(kind, step, first)]);
      return;
    }
    const other = repeat === 'concurrent-same' ? requestId : `${requestId}-other`;
    await this.answers(await Promise.all([this.ask(kind, step, first), this.ask(kind, step, { ...first, requestId: other })]));
  }

  /** Lets server time pass (a second at a time) until the requests are answered, or a minute has passed. */
  async answers(records: RequestRecord[] = this.requests): Promise<void> {
    for (let i = 0; i < 60 && !this.clock.held && records.some((r) => r.pending); i++) await this.clock.advance(1000);
  }

  private async ask(kind: RequestRecord['kind'], step: number, opts: { requestId?: string; routeId?: string; concurrent: boolean }): Promise<RequestRecord> {
    const { world } = this;
    const record: RequestRecord = {
      kind,
      step,
      requestId: opts.requestId,
      routeId: opts.routeId,
      resend: opts.requestId !== undefined && this.answered.has(requestKey(kind, opts)),
      concurrent: opts.concurrent,
      sentAt: await this.clock.now(),
      before: await this.stateNow(),
      runsBefore: world.executorRuns.size,
      pending: true,
    };
    this.requests.push(record);
    const settle = (fields: Partial<RequestRecord>) => Object.assign(record, { pending: false, runsAtAnswer: world.executorRuns.size }, fields);
    try {
      // A workflow task that fails as it takes the update in never accepts it.
      const update = await this.clock.unlessHeld(this.send(kind, opts));
      if (!update) return settle({ refused: 'not accepted: the workflow task taking it in never completed', runsAtAnswer: undefined });
      void update.result().then(
        (answer) => {
          settle({ answer: answer as RequestRecord['answer'] });
          if (opts.requestId) this.answered.add(requestKey(kind, opts));
        },
        (err: unknown) => settle({ refused: (err as Error).message }),
      );
    } catch (err) {
      settle({ refused: (err as Error).message });
    }
    return record;
  }

  private send(kind: RequestRecord['kind'], opts: { requestId?: string; routeId?: string }): Promise<WorkflowUpdateHandle<unknown>> {
    const requestId = opts.requestId === undefined ? undefined : requestKey(kind, opts);
    const request = { actor: OPERATOR, ...(requestId ? { requestId } : {}) };
    const accepted = { waitForStage: WorkflowUpdateStage.ACCEPTED } as const;
    if (kind === 'ack') return this.handle.startUpdate(acknowledge, { args: [{ actor: OPERATOR }], ...accepted });
    if (kind === 'failover') return this.handle.startUpdate(requestFailover, { args: [{ ...request, routeId: opts.routeId }], ...accepted });
    if (kind === 'failback') return this.handle.startUpdate(approveFailback, { args: [request], ...accepted });
    return this.handle.startUpdate(resolve, { args: [{ ...request, note: 'model' }], ...accepted });
  }
}
