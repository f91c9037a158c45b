import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

export const CLI = path.join(PROJECT_ROOT, 'bin', 'statetrace.js');

/** Runs `statetrace args…` to completion (dist/ is built by the global setup). */
export function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const res = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A long-running `statetrace …` whose output is collected. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls url until it answers 200 with JSON (and `accept` likes the body); returns the body. */
export async function waitForHealthy(
  url: string,
  timeoutMs: number,
  isAlive: () => boolean,
  accept: (body: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && isAlive()) {
    try {
      const res = await fetch(url);
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status === 200 && accept(body)) return body;
      last = JSON.stringify(body);
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became healthy (last: ${last})`);
}
