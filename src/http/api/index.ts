import { createCommandCore } from '../../../bot/core/command-core';
import type { HttpServer } from '../server';
import { registerActionsApi } from './actions-api';
import type { ApiV1Deps } from './api-schemas';
import { registerExportApi } from './export-api';
import { registerHistoryApi } from './history-api';
import { registerIncidentsApi } from './incidents-api';
import { registerRoutesApi } from './routes-api';
import { registerStatusApi } from './status-api';
import { createStatusViews } from './status-view';

export type { ApiV1Deps } from './api-schemas';

/** REST API v1 (POST /api/v1/signals is registered by signals-api.ts). */
export function registerApiV1(app: HttpServer, deps: ApiV1Deps): void {
  const views = createStatusViews(deps.models);
  const core = createCommandCore({ models: deps.models, workflows: deps.workflows, taskQueue: deps.taskQueue, workflowIdPrefix: deps.workflowIdPrefix, runbooks: deps.runbooks, logger: deps.logger });
  registerRoutesApi(app, deps);
  registerStatusApi(app, deps, views);
  registerHistoryApi(app, deps);
  registerIncidentsApi(app, deps);
  registerActionsApi(app, deps, core);
  registerExportApi(app, deps, views);
}
