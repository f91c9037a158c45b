// Long-running helpers (ICMP responder, snmpd) started inside a namespace. They are detached so
// they outlive the CLI invocation that started them; `down` stops them by pid.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { run } from './exec';

export interface StartOptions {
  ns: string;
  argv: string[];
  logFile: string;
  env?: Record<string, string>;
}

/** Starts argv inside ns and returns its pid (`ip netns exec` execs the program in place). */
export function startInNamespace({ ns, argv, logFile, env }: StartOptions): Promise<number> {
  const log = fs.openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...env },
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`testbed: cannot start \`${argv.join(' ')}\` in ${ns}: ${err.message}`)));
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid as number);
      });
    });
  } finally {
    fs.closeSync(log);
  }
}

export function isRunning(pid: number): boolean {
  try {
    // A zombie still answers kill(0); it has exited for our purposes.
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls check() every 50 ms until it returns true; rejects with `what` after timeoutMs. */
export async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`testbed: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for a helper's pid file (its sign of readiness); fails at once, with its log, if it died. */
export async function waitForPidFile(name: string, pid: number, pidFile: string, logFile: string, timeoutMs: number): Promise<void> {
  await waitFor(`${name} (pid ${pid}) to write ${pidFile}; log: ${logFile}`, timeoutMs, () => {
    if (fs.existsSync(pidFile)) return true;
    if (!isRunning(pid)) throw new Error(`testbed: ${name} (pid ${pid}) exited at start:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    return false;
  });
}

/** SIGTERM, then SIGKILL if the process is still there after 3 s. */
export async function stopProcess(pid: number): Promise<void> {
  if (!isRunning(pid)) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // exited in between
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(`pid ${pid} to exit`, 3_000, () => !isRunning(pid));
  } catch {
    signal('SIGKILL');
    await waitFor(`pid ${pid} to exit after SIGKILL`, 2_000, () => !isRunning(pid));
  }
}

/** Pids of every process living in the namespace (empty if it does not exist). */
export async function pidsInNamespace(ns: string): Promise<number[]> {
  const out = await run('ip', ['netns', 'pids', ns]).catch(() => '');
  return out.split('\n').filter(Boolean).map(Number);
}
