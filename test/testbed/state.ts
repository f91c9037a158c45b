// What a later process (the CLI) needs to know about a running instance, kept in its state
// directory next to the helpers' config, pid and log files.
import fs from 'node:fs';
import path from 'node:path';
import type { LinkName } from './plan';

export interface Degradation {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
}

export interface TestbedState {
  id: number;
  targets: number;
  trapPort?: number;
  pids: { responder?: number; snmpd?: number };
  degradations: Partial<Record<LinkName, Degradation>>;
  /** `ip route add` arguments of the routes a failed link lost, to restore on heal. */
  lostRoutes: Partial<Record<LinkName, string[][]>>;
}

export function statePaths(stateDir: string) {
  const file = (name: string): string => path.join(stateDir, name);
  return {
    state: file('state.json'),
    responderConfig: file('icmp-responder.json'),
    responderPid: file('icmp-responder.pid'),
    responderLog: file('icmp-responder.log'),
    snmpdConf: file('snmpd.conf'),
    snmpdPid: file('snmpd.pid'),
    snmpdLog: file('snmpd.log'),
    snmpPersistentDir: file('snmp-persistent'),
    lossRules: (link: LinkName) => file(`loss-${link}.nft`),
  };
}

export function readState(stateDir: string): TestbedState | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePaths(stateDir).state, 'utf8')) as TestbedState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`testbed: cannot read ${statePaths(stateDir).state}: ${(err as Error).message}`);
  }
}

export function writeState(stateDir: string, state: TestbedState): void {
  const file = statePaths(stateDir).state;
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}
