import { spawn } from 'node:child_process';

/** The timing of one fping run; every host in it gets the same. */
export interface FpingTiming {
  count: number;
  intervalMs: number;
  timeoutMs: number;
}

/** Where a run's echo requests leave from: one interface (-I, SO_BINDTODEVICE) or one local address (-S). */
export interface FpingBinding {
  interface?: string;
  source?: string;
}

/** What fping said about the hosts of one run. */
export interface FpingReport {
  /** Per host: one entry per echo request, the RTT in ms or null when no reply came. */
  rtts: Map<string, (number | null)[]>;
  /** Hosts fping refused, with its reason ("Name or service not known"). */
  rejected: Map<string, string>;
  /** The last ICMP error a router sent for a host ("ICMP Host Unreachable from 198.18.0.1"). */
  icmpErrors: Map<string, string>;
  /** Why hosts may be missing from the report (fping could not run, crashed or was killed). */
  failure?: string;
}

/** Minimum gap between any two echo requests of one run: 1,000 hosts make a 100 ms round. */
const SEND_GAP_MS = 0.1;

/**
 * Runs one fping process over `hosts` (IP addresses, each at most once). Without `-q`, so
 * fping still reports the hosts it refuses (with `-q` it exits 2 and says nothing); the
 * per-reply lines it then writes to stdout are discarded. Exit code 1 (some host did not
 * answer) is a normal result; so is 2 (some host refused), which leaves the other hosts measured.
 */
export function runFping(hosts: string[], timing: FpingTiming, binding: FpingBinding = {}): Promise<FpingReport> {
  const args = [
    ...['-C', String(timing.count), '-p', String(timing.intervalMs), '-t', String(timing.timeoutMs), '-i', String(SEND_GAP_MS), '-r', '0'],
    ...(binding.interface === undefined ? [] : ['-I', binding.interface]),
    ...(binding.source === undefined ? [] : ['-S', binding.source]),
    ...hosts,
  ];
  // Far longer than a run can take (rounds stretched by the send gap, plus the last timeout).
  const watchdogMs = timing.count * Math.max(timing.intervalMs, hosts.length * SEND_GAP_MS) + timing.timeoutMs + 10_000;
  return new Promise((resolve) => {
    const child = spawn('fping', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: watchdogMs });
    const chunks: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    child.once('close', (code, signal) => {
      const stderr = Buffer.concat(chunks).toString('utf8');
      const report = parseFpingReport(stderr, new Set(hosts));
      if (spawnError) report.failure = `could not run fping: ${spawnError.message}`;
      else if (signal) report.failure = `fping was stopped by ${signal} after ${watchdogMs} ms`;
      else if (code !== 0 && code !== 1) report.failure = `fping exited with code ${code}: ${lastLine(stderr)}`;
      // -C reports every host it started on; none at all is an early exit (fping 5.1 exits 1 when -I names no interface).
      else if (code === 1 && report.rtts.size === 0 && report.rejected.size === 0) report.failure = `fping stopped before probing: ${lastLine(stderr)}`;
      resolve(report);
    });
  });
}

// `127.0.0.1   : 0.066 0.062 -` (the -C summary), `ICMP Host Unreachable from 198.18.0.1 for
// ICMP Echo sent to 198.18.0.9`, `fe80::1%eth9: Name or service not known`. Hosts are printed
// as given, so IPv6 colons are matched through the set of hosts rather than by splitting.
const SUMMARY = /^(\S+)\s+:((?: (?:\d+(?:\.\d+)?|-))+)$/;
const ICMP_ERROR = /^(ICMP.*) for ICMP Echo sent to (\S+)$/;
const REJECTED = /^(\S+): (.+)$/;

function parseFpingReport(stderr: string, hosts: Set<string>): FpingReport {
  const report: FpingReport = { rtts: new Map(), rejected: new Map(), icmpErrors: new Map() };
  for (const line of stderr.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = SUMMARY.exec(line)) && hosts.has(m[1]!)) {
      report.rtts.set(m[1]!, m[2]!.trim().split(' ').map((v) => (v === '-' ? null : Number(v))));
    } else if ((m = ICMP_ERROR.exec(line)) && hosts.has(m[2]!)) {
      report.icmpErrors.set(m[2]!, m[1]!);
    } else if ((m = REJECTED.exec(line)) && hosts.has(m[1]!)) {
      report.rejected.set(m[1]!, m[2]!);
    }
  }
  return report;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() || '(no message)';
}
