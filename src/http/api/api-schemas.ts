import { z } from 'zod';
import type { Logger } from '../../logger';
import type { Models } from '../../models';
import type { CoreDeps } from '../../../bot/core/command-core';
import type { ApiAuth } from '../auth';

/** What the /api/v1 modules need; the Temporal client and task queue are for the command core (actions). */
export interface ApiV1Deps {
  models: Models;
  auth: ApiAuth;
  workflows: CoreDeps['workflows'];
  taskQueue: string;
  /** STATETRACE_WORKFLOW_ID_PREFIX, for the workflows the command core starts (unset: none). */
  workflowIdPrefix?: string;
  runbooks: CoreDeps['runbooks'];
  logger: Logger;
}

/** The one error shape (see api-errors.ts), for the OpenAPI document. */
export const errorBody = z.object({ error: z.string(), details: z.array(z.string()).optional() });

/** Error responses of a route, for the OpenAPI document. */
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorBody.describe(`error ${c}`)]));

/** `?limit=&cursor=`: the cursor is the `nextCursor` of the previous page. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(300).optional(),
};

export const isoDate = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : undefined);
