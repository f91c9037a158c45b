import fs from 'node:fs';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until every pid has exited (zombies count as exited); false after timeoutMs. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((pid) => !pidAlive(pid) || isZombie(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids of processes whose command line contains needle (e.g. a temporary data folder). */
export function processesMentioning(needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle) && !isZombie(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids of live processes whose environment has name=value (a token a test gives a run, which every process it starts inherits). */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(needle) && !isZombie(Number(d));
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}
