/**
 * Prometheus text format (0.0.4) for the per-route families, rendered directly rather than
 * through prom-client metrics: thousands of series per scrape, rebuilt from the status board
 * each time, are cheaper as one string than as label maps.
 */

/** A label value as the text format quotes it. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** One metric family: HELP and TYPE, then its sample lines (each ending in a newline). */
export function family(name: string, type: 'gauge', help: string, samples: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples}`;
}
