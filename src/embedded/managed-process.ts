import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../logger';

const SETPRIV = '/usr/bin/setpriv';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logger: Logger;
}

/**
 * A server process StateTrace started and must not leave behind. Output goes to a log file.
 * Where util-linux `setpriv` exists the child is given a parent-death signal, so it is
 * terminated by the kernel even when this process is SIGKILLed and cannot clean up.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly logger: Logger;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  private exitInfo: number | string | undefined;

  constructor(opts: ManagedProcessOptions) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    this.logger = opts.logger;
    const out = fs.openSync(opts.logFile, 'a');
    const usePdeathsig = fs.existsSync(SETPRIV);
    const [cmd, args] = usePdeathsig
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', opts.command, ...opts.args]]
      : [opts.command, opts.args];
    try {
      this.child = spawn(cmd, args, { stdio: ['ignore', out, out], env: opts.env ?? process.env, cwd: opts.cwd });
    } finally {
      fs.closeSync(out);
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = code ?? signal ?? 'unknown';
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.logger.error({ err, process: this.name }, 'could not start process');
        this.exitInfo = 'spawn-error';
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last lines of the log, for error messages when the process dies early. */
  logTail(lines = 15): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.logger.warn({ process: this.name, graceMs }, 'process ignored SIGTERM; killing it');
      this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Polls `ready` until it resolves true, failing early with the process log if the process
 * exits first, or after timeoutMs.
 */
export async function waitUntilReady(proc: ManagedProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) {
      throw new Error(`${proc.name} exited during start-up; last log lines (${proc.logFile}):\n${proc.logTail()}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${proc.name} did not become ready within ${timeoutMs} ms; last log lines:\n${proc.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
