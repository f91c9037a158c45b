import type { Measurement } from './types';

export type MeasurementFields = Omit<Measurement, 'kind' | 'target' | 'at' | 'durationMs'>;

/**
 * Starts the clock of one probe run; the returned function stamps the result with the start
 * time and the elapsed milliseconds (monotonic clock, so a wall-clock step cannot skew it).
 */
export function startMeasurement(kind: Measurement['kind'], target: string): (fields: MeasurementFields) => Measurement {
  const at = new Date();
  const started = performance.now();
  return (fields) => ({ kind, target, at, ...fields, durationMs: Math.round(performance.now() - started) });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
