// snmpd in the edge namespace: v2c and v3 authPriv reads, linkDown/linkUp traps, and BGP peer
// states pinned with `override`.
import fs from 'node:fs';
import type { Plan } from './plan';
import { startInNamespace, waitForPidFile } from './processes';
import { statePaths } from './state';

export const SNMP_V3 = {
  user: 'statetrace',
  authProtocol: 'sha',
  authKey: 'statetrace-auth-key',
  privProtocol: 'aes',
  privKey: 'statetrace-priv-key',
} as const;

/** BGP4-MIB bgpPeerState (1.3.6.1.2.1.15.3.1.2.<peer>): 6 established, 1 idle. */
export const BGP_PEER_STATE_OID = '1.3.6.1.2.1.15.3.1.2';

// With MIBS="" names do not resolve: every OID is numeric.
const IF_INDEX = '.1.3.6.1.2.1.2.2.1.1';
const IF_ADMIN_STATUS = '.1.3.6.1.2.1.2.2.1.7';
const IF_OPER_STATUS = '.1.3.6.1.2.1.2.2.1.8';
const LINK_DOWN_TRAP = '.1.3.6.1.6.3.1.1.5.3';
const LINK_UP_TRAP = '.1.3.6.1.6.3.1.1.5.4';
/** The agent's own user for DisMan monitor queries (not reachable with useful rights). */
const INTERNAL_USER = 'statetrace-internal';

export function snmpdConfig(plan: Plan, trapPort: number | undefined): string {
  const lines = [
    `agentaddress udp:${plan.agentAddress}:161`,
    `rocommunity public ${plan.uplinkPrefix}`,
    `createUser ${SNMP_V3.user} SHA "${SNMP_V3.authKey}" AES "${SNMP_V3.privKey}"`,
    `rouser ${SNMP_V3.user} priv`,
    `override .${BGP_PEER_STATE_OID}.${plan.links.primary.peerAddress} integer 6`,
    `override .${BGP_PEER_STATE_OID}.${plan.links.backup.peerAddress} integer 1`,
  ];
  if (trapPort !== undefined) {
    lines.push(
      `trap2sink ${plan.hostAddress}:${trapPort} public`,
      `createUser ${INTERNAL_USER}`,
      `rouser ${INTERNAL_USER} noauth`,
      `iquerySecName ${INTERNAL_USER}`,
      `agentSecName ${INTERNAL_USER}`,
      `notificationEvent linkDownTrap ${LINK_DOWN_TRAP} ${IF_INDEX} ${IF_ADMIN_STATUS} ${IF_OPER_STATUS}`,
      `notificationEvent linkUpTrap ${LINK_UP_TRAP} ${IF_INDEX} ${IF_ADMIN_STATUS} ${IF_OPER_STATUS}`,
      // snmpd samples ifOperStatus every second: a trap follows a link change in about 1-2 s.
      `monitor -r 1 -e linkDownTrap "down" ${IF_OPER_STATUS} == 2`,
      `monitor -r 1 -e linkUpTrap "up" ${IF_OPER_STATUS} != 2`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function startSnmpd(plan: Plan, trapPort: number | undefined): Promise<number> {
  const paths = statePaths(plan.stateDir);
  fs.writeFileSync(paths.snmpdConf, snmpdConfig(plan, trapPort));
  fs.mkdirSync(paths.snmpPersistentDir, { recursive: true });
  const pid = await startInNamespace({
    ns: plan.edgeNs,
    argv: ['snmpd', '-f', '-C', '-c', paths.snmpdConf, '-p', paths.snmpdPid, '-Lf', paths.snmpdLog],
    logFile: paths.snmpdLog,
    env: { MIBS: '', SNMP_PERSISTENT_DIR: paths.snmpPersistentDir },
  });
  // snmpd writes its pid file once its port is open.
  await waitForPidFile('snmpd', pid, paths.snmpdPid, paths.snmpdLog, 10_000);
  return pid;
}
