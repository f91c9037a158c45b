import { isIPv6 } from 'node:net';
import * as snmp from 'net-snmp';
import { errorMessage, type ExecutorOutcome } from './types';

export const SNMP_SET_TYPES = ['Integer', 'OctetString', 'IpAddress', 'Gauge', 'Unsigned32'] as const;
export type SnmpSetType = (typeof SNMP_SET_TYPES)[number];

/** Per request; with one retry a SET gives up after twice this. */
export const SNMP_SET_TIMEOUT_MS = 3000;

export interface SnmpSetRequest {
  agent: string;
  port: number;
  community: string;
  oid: string;
  type: SnmpSetType;
  /** Already rendered and, for the numeric types, parsed. */
  value: string | number;
}

/**
 * The value as net-snmp sends it: a number for Integer/Gauge/Unsigned32, text otherwise.
 * Undefined when a numeric type gets something that is not an integer.
 */
export function snmpSetValue(type: SnmpSetType, rendered: string): string | number | undefined {
  if (type === 'OctetString' || type === 'IpAddress') return rendered;
  const trimmed = rendered.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** One v2c SET. An error status, a varbind error or a timeout is a failed run. */
export async function snmpSet(req: SnmpSetRequest): Promise<ExecutorOutcome> {
  const session = snmp.createSession(req.agent, req.community, {
    port: req.port,
    version: snmp.Version2c,
    timeout: SNMP_SET_TIMEOUT_MS,
    retries: 1,
    transport: isIPv6(req.agent) ? 'udp6' : 'udp4',
  });
  // Undecodable datagrams are emitted as 'error'; the request still ends (answer or timeout).
  session.on('error', () => undefined);
  const what = `SET ${req.oid} ${req.type} ${JSON.stringify(req.value)}`;
  try {
    const varbinds = await new Promise<snmp.Varbind[]>((resolve, reject) => {
      session.set([{ oid: req.oid, type: snmp.ObjectType[req.type], value: req.value }], (error, result) => (error ? reject(error) : resolve(result ?? [])));
    });
    const failed = varbinds.find((vb) => snmp.isVarbindError(vb));
    if (failed) return { ok: false, detail: `${what}: ${snmp.varbindError(failed)}` };
    return { ok: true, detail: `${what}: done` };
  } catch (err) {
    return { ok: false, detail: `${what}: ${errorMessage(err)}` };
  } finally {
    session.close();
  }
}
