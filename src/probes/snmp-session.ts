import { isIPv6 } from 'node:net';
import * as snmp from 'net-snmp';
import type { SnmpProbeSpec } from './types';

/** A session, or why none could be opened (a configuration problem, not the agent's). */
export type SnmpSessionOrProblem = { session: snmp.Session; problem?: never } | { session?: never; problem: string };

/**
 * Opens a v2c or v3 authPriv session for `spec`. v3 keys are read from the environment
 * variables the spec names; the keys themselves never appear in route files or logs.
 */
export function openSnmpSession(spec: SnmpProbeSpec, env: NodeJS.ProcessEnv): SnmpSessionOrProblem {
  const options = { port: spec.port, timeout: spec.timeoutMs, retries: 1, transport: isIPv6(spec.agent) ? ('udp6' as const) : ('udp4' as const) };
  let session: snmp.Session;
  if (spec.version === '3') {
    if (!spec.user || !spec.authProtocol || !spec.authKeyEnv || !spec.privProtocol || !spec.privKeyEnv) {
      return { problem: 'SNMPv3 needs user, authProtocol, authKeyEnv, privProtocol and privKeyEnv' };
    }
    const authKey = env[spec.authKeyEnv];
    const privKey = env[spec.privKeyEnv];
    if (!authKey) return { problem: `environment variable ${spec.authKeyEnv} (authKeyEnv) is not set` };
    if (!privKey) return { problem: `environment variable ${spec.privKeyEnv} (privKeyEnv) is not set` };
    const user: snmp.User = {
      name: spec.user,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols[spec.authProtocol],
      authKey,
      privProtocol: snmp.PrivProtocols[spec.privProtocol],
      privKey,
    };
    session = snmp.createV3Session(spec.agent, user, { ...options, version: snmp.Version3 });
  } else {
    if (!spec.community) return { problem: 'SNMPv2c needs a community' };
    session = snmp.createSession(spec.agent, spec.community, { ...options, version: snmp.Version2c });
  }
  // Undecodable datagrams are emitted as 'error'; unhandled, that would throw. The request
  // they disturbed still ends (answer or timeout), so nothing else needs doing here.
  session.on('error', () => undefined);
  return { session };
}

/** The value of one OID; noSuchObject / noSuchInstance / endOfMibView reject like request errors. */
export function snmpGet(session: snmp.Session, oid: string): Promise<snmp.VarbindValue> {
  return new Promise((resolve, reject) => {
    session.get([oid], (error, varbinds) => {
      const varbind = varbinds?.[0];
      if (error) reject(error);
      else if (!varbind) reject(new Error(`no varbind in the answer for ${oid}`));
      else if (snmp.isVarbindError(varbind)) reject(new Error(snmp.varbindError(varbind)));
      else resolve(varbind.value);
    });
  });
}

/**
 * Walks the table column `oid` (only inside it: net-snmp's walk() would run past its end)
 * until `stop` returns true for a varbind; resolves with that varbind, or undefined.
 */
export function snmpFindInSubtree(session: snmp.Session, oid: string, stop: (varbind: snmp.Varbind) => boolean): Promise<snmp.Varbind | undefined> {
  return new Promise((resolve, reject) => {
    let found: snmp.Varbind | undefined;
    session.subtree(
      oid,
      (varbinds: snmp.Varbind[]) => {
        found = varbinds.find((vb) => !snmp.isVarbindError(vb) && stop(vb));
        if (found) return true;
      },
      (error) => (error ? reject(error) : resolve(found)),
    );
  });
}

/** OctetStrings as UTF-8 text, everything else as its string form. */
export function snmpValueText(value: snmp.VarbindValue): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
