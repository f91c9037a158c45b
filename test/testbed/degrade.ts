// Degrading links: loss with nftables, delay and jitter through the ICMP responder in core.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inNamespace } from './exec';
import { LINK_NAMES, type LinkName, type Plan } from './plan';
import { isRunning, startInNamespace, waitFor, waitForPidFile } from './processes';
import { statePaths, type Degradation } from './state';

const NO_DEGRADATION: Degradation = { delayMs: 0, jitterMs: 0, lossPct: 0 };

/**
 * Drops lossPct % of the echo requests entering over the link, in the namespace at its far
 * end. One table per link, replaced atomically (`table`/`delete table` make a missing table
 * harmless); 0 % removes it.
 */
export async function applyLoss(plan: Plan, link: LinkName, lossPct: number): Promise<void> {
  const { ns, ifName } = plan.links[link].lossAt;
  const table = `statetrace_loss_${link}`;
  const rules = [`table ip ${table}`, `delete table ip ${table}`];
  if (lossPct > 0) {
    rules.push(
      `table ip ${table} {`,
      '  chain prerouting {',
      '    type filter hook prerouting priority filter; policy accept;',
      `    iifname "${ifName}" icmp type echo-request numgen random mod 100 < ${Math.round(lossPct)} drop`,
      '  }',
      '}',
    );
  }
  const file = statePaths(plan.stateDir).lossRules(link);
  fs.writeFileSync(file, `${rules.join('\n')}\n`);
  await inNamespace(ns, 'nft', ['-f', file]);
}

/**
 * Per core interface delay: every echo request crossed the uplink and then the primary or the
 * backup, so the two links' delays add up (jitters too, as the width of one uniform spread).
 */
function responderConfig(plan: Plan, degradations: Partial<Record<LinkName, Degradation>>, generation: string) {
  const of = (link: LinkName): Degradation => degradations[link] ?? NO_DEGRADATION;
  const interfaces = Object.fromEntries(
    (['primary', 'backup'] as const).map((link) => [
      plan.links[link].peerIf,
      { delayMs: of('uplink').delayMs + of(link).delayMs, jitterMs: of('uplink').jitterMs + of(link).jitterMs },
    ]),
  );
  return { generation, interfaces };
}

function writeResponderConfig(plan: Plan, degradations: Partial<Record<LinkName, Degradation>>): string {
  const paths = statePaths(plan.stateDir);
  const generation = randomUUID();
  fs.writeFileSync(paths.responderConfig, JSON.stringify(responderConfig(plan, degradations, generation), null, 2));
  return generation;
}

export async function startResponder(plan: Plan): Promise<number> {
  const paths = statePaths(plan.stateDir);
  writeResponderConfig(plan, {});
  const pid = await startInNamespace({
    ns: plan.coreNs,
    argv: ['python3', path.join(__dirname, 'icmp-responder.py'), paths.responderConfig, paths.responderPid],
    logFile: paths.responderLog,
  });
  await waitForPidFile('the ICMP responder', pid, paths.responderPid, paths.responderLog, 5_000);
  return pid;
}

/** Rewrites the responder's config, signals it and waits until it has loaded the new one. */
export async function applyDelays(plan: Plan, responderPid: number, degradations: Partial<Record<LinkName, Degradation>>): Promise<void> {
  const paths = statePaths(plan.stateDir);
  if (!isRunning(responderPid)) throw new Error(`testbed: the ICMP responder (pid ${responderPid}) is not running; see ${paths.responderLog}`);
  const generation = writeResponderConfig(plan, degradations);
  process.kill(responderPid, 'SIGHUP');
  const loaded = (): string => fs.readFileSync(`${paths.responderConfig}.loaded`, 'utf8');
  await waitFor(`the ICMP responder (pid ${responderPid}) to reload ${paths.responderConfig}`, 2_000, () => loaded() === generation);
}

export function describeDegradations(degradations: Partial<Record<LinkName, Degradation>>): string[] {
  return LINK_NAMES.filter((link) => degradations[link]).map((link) => {
    const d = degradations[link] as Degradation;
    return `${link}: delay ${d.delayMs} ms ± ${d.jitterMs} ms, loss ${d.lossPct} %`;
  });
}
