/**
 * `npm run demo` (see run-demo.ts for what the demo does). This process only starts it and
 * hands signals on. tsx's CLI, which runs this file, SIGKILLs its child when the child does
 * not acknowledge a Ctrl-C within 30 ms, and the demo's event loop is busy for longer while
 * it builds the worker: killed then, it would leave testbed 0 behind. This process stays idle,
 * so it always answers in time. The demo runs in its own process group (a Ctrl-C reaches it
 * once, from here) and with a parent-death signal (should this process die anyway, the demo
 * is interrupted and still cleans up).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SETPRIV = '/usr/bin/setpriv';
// tsx as a loader in the demo's own node: no tsx CLI (and no signal relay) between them.
const node = [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, 'run-demo.ts')];
const [command, ...args] = fs.existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'INT', '--', ...node] : node;
const demo = spawn(command!, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });

let forwarded = false;
const forward = (signal: NodeJS.Signals) => {
  // The terminal, npm and tsx may each deliver the same Ctrl-C: the demo gets it once.
  if (forwarded) return;
  forwarded = true;
  demo.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);

demo.once('error', (err) => {
  process.stderr.write(`npm run demo: cannot start ${command}: ${err.message}\n`);
  process.exit(1);
});
demo.once('exit', (code, signal) => process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
