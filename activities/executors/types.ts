/** What one executor run did; `ok: false` runs are recorded and left to the workflow to judge. */
export interface ExecutorOutcome {
  ok: boolean;
  detail: string;
  /** command only: the exit code, null when a signal (e.g. the timeout) ended it. */
  exitCode?: number | null;
}

/** Program output and response bodies are kept in the run's detail (and so the database) up to this length. */
const KEPT_CHARS = 2000;

/** A secret's name and value, to be cut out of anything kept. */
export type Secret = [name: string, value: string];

/** Variable names whose values are secrets (tokens, keys, passwords, communities, connection strings). */
const SECRET_NAME = /TOKEN|SECRET|PASSW|PASSPHRASE|KEY|COMMUNITY|CREDENTIAL|AUTH|_URI$|_URL$/i;

/** The secrets of an environment: variables with a secret's name, and those a policy names (whatever their names). */
export function secretsOf(env: NodeJS.ProcessEnv, named: readonly string[] = []): Secret[] {
  return Object.entries(env)
    .filter((e): e is Secret => e[1] !== undefined && e[1].length >= 4 && (SECRET_NAME.test(e[0]) || named.includes(e[0])))
    .sort((a, b) => b[1].length - a[1].length); // longest first: a secret that contains another is cut whole
}

/** Program output and response bodies as kept: every secret's value replaced by its name, then cut to KEPT_CHARS. */
export function keptOutput(text: string, secrets: readonly Secret[]): string {
  const redacted = secrets.reduce((t, [name, value]) => t.split(value).join(`[${name} redacted]`), text);
  const trimmed = redacted.trim();
  return trimmed.length > KEPT_CHARS ? `${trimmed.slice(0, KEPT_CHARS)}… (truncated)` : trimmed;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
