/** What one executor run did; `ok: false` runs are recorded and left to the workflow to judge. */
export interface ExecutorOutcome {
  ok: boolean;
  detail: string;
  /** command only: the exit code, null when a signal (e.g. the timeout) ended it. */
  exitCode?: number | null;
}

/** Program output and response bodies are kept in the run's detail (and so the database) up to this length. */
const KEPT_CHARS = 2000;

export function truncate(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > KEPT_CHARS ? `${trimmed.slice(0, KEPT_CHARS)}… (truncated)` : trimmed;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
