import { execFile } from 'node:child_process';
import { truncate, type ExecutorOutcome } from './types';

/**
 * Runs an already rendered argv with execFile: no shell, so metacharacters in route data
 * reach the program literally. Exit code 0 is success; any other exit, the timeout or a
 * program that cannot be started is a failed run, not an error. The timeout kills with
 * SIGKILL: a failover script reported as failed must not go on changing routes.
 */
export function runCommand(argv: string[], timeoutSec: number, env: NodeJS.ProcessEnv): Promise<ExecutorOutcome> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ ok: false, detail: 'empty argv' });
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutSec * 1000, killSignal: 'SIGKILL', env, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const output = [stdout && `stdout: ${truncate(stdout)}`, stderr && `stderr: ${truncate(stderr)}`].filter(Boolean);
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
