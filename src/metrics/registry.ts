import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The process's one metrics registry: StateTrace's counters and histograms (instruments.ts)
 * and Node's process metrics under their standard names (process_*, nodejs_*), so stock
 * Node.js dashboards work too.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

// Gauges that prom-client names like counters; promtool's lint refuses them, and each is the
// sum of its unsuffixed sibling (nodejs_active_handles{type} etc.).
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
