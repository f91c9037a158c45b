// Running ip/nft/sysctl without a shell, with errors that name the command that failed.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly stderr: string,
    cause: string,
  ) {
    super(`testbed: \`${argv.join(' ')}\` failed (${cause})${stderr ? `: ${stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Runs a command and resolves with its stdout; rejects with a CommandError naming it. */
export function run(command: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const cause = error.killed ? `timed out after ${timeoutMs} ms` : typeof error.code === 'number' ? `exit ${error.code}` : String(error.code ?? error.message);
      reject(new CommandError([command, ...args], stderr, cause));
    });
  });
}

/** `ip …` in a namespace (null: the root namespace). */
export function ip(ns: string | null, args: string[]): Promise<string> {
  return run('ip', ns === null ? args : ['-n', ns, ...args]);
}

/** Any program inside a namespace, through `ip netns exec`. */
export function inNamespace(ns: string, command: string, args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, command, ...args]);
}

export async function sysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
  await inNamespace(ns, 'sysctl', ['-q', '-w', ...Object.entries(settings).map(([key, value]) => `${key}=${value}`)]);
}

export async function namespaceExists(ns: string): Promise<boolean> {
  return (await run('ip', ['netns', 'list'])).split('\n').some((line) => line.split(' ')[0] === ns);
}
