import type { Session } from 'net-snmp';
import { errorMessage, startMeasurement, type MeasurementFields } from './measurement';
import { openSnmpSession, snmpFindInSubtree, snmpGet, snmpValueText } from './snmp-session';
import type { Measurement, Probe, ProbeOptions, SnmpProbeSpec } from './types';

type Check<T extends SnmpProbeSpec['check']['type']> = Extract<SnmpProbeSpec['check'], { type: T }>;

const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_OPER_STATUS = '1.3.6.1.2.1.2.2.1.8';
const IF_NAME = '1.3.6.1.31.1.1.1.1';
const BGP_PEER_STATE = '1.3.6.1.2.1.15.3.1.2';

const IF_OPER_STATUS_NAMES: Record<number, string> = { 1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown' };
const BGP_PEER_STATE_NAMES: Record<number, string> = { 1: 'idle', 2: 'connect', 3: 'active', 4: 'opensent', 5: 'openconfirm', 6: 'established' };

/**
 * One SNMP check. An answer that fails the check is `down`; no usable answer (timeout,
 * unreachable agent, noSuchObject/noSuchInstance, missing key) is `unknown` with the reason.
 */
export async function probeSnmp(spec: SnmpProbeSpec, opts: ProbeOptions = {}): Promise<Measurement> {
  const finish = startMeasurement(spec.kind, spec.agent);
  const { session, problem } = openSnmpSession(spec, opts.env ?? process.env);
  if (!session) return finish({ status: 'unknown', detail: problem });
  try {
    return finish(await runCheck(session, spec.check));
  } catch (err) {
    return finish({ status: 'unknown', detail: errorMessage(err) });
  } finally {
    session.close();
  }
}

function runCheck(session: Session, check: SnmpProbeSpec['check']): Promise<MeasurementFields> {
  switch (check.type) {
    case 'ifOperStatus':
      return checkIfOperStatus(session, check);
    case 'bgpPeerState':
      return checkBgpPeerState(session, check);
    case 'oid':
      return checkOid(session, check);
  }
}

async function checkIfOperStatus(session: Session, check: Check<'ifOperStatus'>): Promise<MeasurementFields> {
  const ifIndex = check.ifIndex ?? (check.ifName !== undefined ? await findIfIndex(session, check.ifName) : undefined);
  if (ifIndex === undefined) {
    return { status: 'unknown', detail: check.ifName !== undefined ? `no interface named "${check.ifName}" in ifName or ifDescr` : 'the check names neither ifIndex nor ifName' };
  }
  const value = Number(await snmpGet(session, `${IF_OPER_STATUS}.${ifIndex}`));
  if (value === 1) return { status: 'up' };
  return { status: 'down', taxonomy: ['link_down'], detail: `ifOperStatus=${value} (${IF_OPER_STATUS_NAMES[value] ?? 'unrecognised'}) on ifIndex ${ifIndex}` };
}

/** The ifIndex of an interface by name: ifName (IF-MIB ifXTable) first, then ifDescr. */
async function findIfIndex(session: Session, name: string): Promise<number | undefined> {
  for (const column of [IF_NAME, IF_DESCR]) {
    const varbind = await snmpFindInSubtree(session, column, (vb) => snmpValueText(vb.value) === name);
    if (varbind) return Number(varbind.oid.slice(column.length + 1));
  }
  return undefined;
}

async function checkBgpPeerState(session: Session, check: Check<'bgpPeerState'>): Promise<MeasurementFields> {
  const value = Number(await snmpGet(session, `${BGP_PEER_STATE}.${check.peer}`));
  if (value === 6) return { status: 'up' };
  return { status: 'down', taxonomy: ['bgp_down'], detail: `bgpPeerState=${value} (${BGP_PEER_STATE_NAMES[value] ?? 'unrecognised'}) for peer ${check.peer}` };
}

async function checkOid(session: Session, check: Check<'oid'>): Promise<MeasurementFields> {
  const got = snmpValueText(await snmpGet(session, check.oid.replace(/^\./, '')));
  if (got === String(check.expect)) return { status: 'up' };
  // Quoted when a string was expected, so "1 " vs "1" or an empty value stays visible.
  const show = (v: string): string => (typeof check.expect === 'string' ? JSON.stringify(v) : v);
  return { status: 'down', taxonomy: ['snmp_mismatch'], detail: `got ${show(got)}, expected ${show(String(check.expect))}` };
}

export const snmpProbe: Probe<SnmpProbeSpec> = { kind: 'snmp', probe: probeSnmp };
