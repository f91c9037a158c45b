// The worker's workflowsPath: every workflow type StateTrace runs.
export { outageWorkflow } from './outage';
export { packetWorkflow } from './packet';
