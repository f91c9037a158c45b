import { execFile } from 'node:child_process';
import { keptOutput, type ExecutorOutcome, type Secret } from './types';

/** Where a command finds programs when the worker's environment has no PATH. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment a failover command gets: PATH and LANG, and the variables its policy names
 * (`env:`) — never the worker's own (chat tokens, MONGODB_URI, TEMPORAL_API_KEY…).
 */
export function commandEnvironment(env: NodeJS.ProcessEnv, named: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: env.PATH || DEFAULT_PATH, LANG: env.LANG || 'C.UTF-8', ...named };
}

/**
 * Runs an already rendered argv with execFile: no shell, so metacharacters in route data
 * reach the program literally. Exit code 0 is success; any other exit, the timeout or a
 * program that cannot be started is a failed run, not an error. The timeout kills with
 * SIGKILL: a failover script reported as failed must not go on changing routes. What it
 * prints is kept with every secret's value cut out (`secrets`), and at most 2,000 characters.
 */
export function runCommand(argv: string[], timeoutSec: number, env: NodeJS.ProcessEnv, secrets: readonly Secret[] = []): Promise<ExecutorOutcome> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ ok: false, detail: 'empty argv' });
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutSec * 1000, killSignal: 'SIGKILL', env, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const output = [stdout && `stdout: ${keptOutput(stdout, secrets)}`, stderr && `stderr: ${keptOutput(stderr, secrets)}`].filter(Boolean);
      if (!error) return resolve({ ok: true, detail: ['exit 0', ...output].join('; '), exitCode: 0 });
      // A numeric code is the exit status; a string one (ENOENT, EACCES) means it never ran.
      const exitCode = typeof error.code === 'number' ? error.code : null;
      let what: string;
      if (error.killed && error.signal === 'SIGKILL') what = `timed out after ${timeoutSec}s`;
      else if (exitCode !== null) what = `exit ${exitCode}`;
      else if (error.signal) what = `killed by ${error.signal}`;
      else what = error.message;
      resolve({ ok: false, detail: [what, ...output].join('; '), exitCode });
    });
  });
}
