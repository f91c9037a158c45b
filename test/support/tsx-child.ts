/**
 * Long runs that must clean up after themselves when interrupted (`npm run demo`, `npm run
 * bench`) do their work in a child process started from here, not in the process the npm
 * script starts. That process is run by tsx's CLI, which SIGKILLs its child when the child
 * does not acknowledge a Ctrl-C or SIGTERM within 30 ms; a run whose event loop is busy for
 * longer (bundling the workflows) would be killed before its clean-up, leaving its testbed up.
 * The launcher stays idle, so it always answers in time. The child runs in its own process
 * group (a Ctrl-C reaches it once, from the launcher) and with a parent-death signal (should
 * the launcher die anyway, the child is interrupted and still cleans up).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

const SETPRIV = '/usr/bin/setpriv';
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** `node --import tsx <script> …args` in its own process group, interrupted with SIGINT if this process dies. */
export function spawnTsxChild(script: string, args: string[], opts: { stdio: StdioOptions; env?: NodeJS.ProcessEnv }): ChildProcess {
  // tsx as a loader in the child's own node: no tsx CLI (and no signal relay) between them.
  const node = [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, script, ...args];
  const [command, ...argv] = fs.existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'INT', '--', ...node] : node;
  return spawn(command!, argv, { stdio: opts.stdio, env: opts.env ?? process.env, detached: true });
}

/** Hands the first stop signal this process receives on to the child; the terminal, npm and tsx may each deliver the same Ctrl-C. */
export function relayStopSignals(child: ChildProcess): void {
  let relayed = false;
  const relay = (signal: NodeJS.Signals) => {
    if (relayed) return;
    relayed = true;
    child.kill(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, relay);
}

/** The exit code a shell would report for a child that ended this way. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? os.constants.signals[signal] : 0);
}

/** This process becomes the idle launcher of script: relays stop signals to it and exits with its exit code. */
export function launchInOwnProcessGroup(name: string, script: string, args: string[]): void {
  const child = spawnTsxChild(script, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  relayStopSignals(child);
  child.once('error', (err) => {
    process.stderr.write(`${name}: cannot start ${script}: ${err.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(exitCodeOf(code, signal)));
}
