import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as snmp from 'net-snmp';
import { ManagedProcess, waitUntilReady } from '../../src/embedded/managed-process';
import { freePort } from '../../src/embedded/ports';
import { createLogger } from '../../src/logger';

export interface SnmpdOptions {
  /** Extra `override OID TYPE VALUE` lines, e.g. `['1.3.6.1.2.1.15.3.1.2.198.18.200.1 integer 6']`. */
  overrides?: string[];
  /** A community allowed to SET from 127.0.0.1 (e.g. `private`). Objects the conf does not fix, such as sysContact.0, are then writable. */
  rwCommunity?: string;
}

export interface TestSnmpd {
  port: number;
  community: string;
  /** An authPriv (SHA/AES) user; keys are at least 8 characters as net-snmp requires. */
  v3: { user: string; authKey: string; privKey: string };
  stop(): Promise<void>;
}

/**
 * A real snmpd on 127.0.0.1 and ::1 (same free port), with a temporary configuration and state
 * folder, answering v2c (`public`) and v3 authPriv. MIBS="" because Debian ships no standard
 * MIBs (without it snmpd logs a screen of warnings). Resolves once it answers a GET.
 */
export async function startSnmpd(opts: SnmpdOptions = {}): Promise<TestSnmpd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-snmpd-'));
  // freePort() checks TCP; snmpd binds UDP. A clash is unlikely on a test machine and shows as a start-up error in the log.
  const port = await freePort();
  const community = 'public';
  const v3 = { user: 'probeuser', authKey: 'auth-key-for-tests', privKey: 'priv-key-for-tests' };
  const conf = path.join(dir, 'snmpd.conf');
  fs.writeFileSync(
    conf,
    [
      `agentaddress udp:127.0.0.1:${port},udp6:[::1]:${port}`,
      `rocommunity ${community} 127.0.0.1`,
      `rocommunity6 ${community} ::1`,
      ...(opts.rwCommunity ? [`rwcommunity ${opts.rwCommunity} 127.0.0.1`] : []),
      `createUser ${v3.user} SHA "${v3.authKey}" AES "${v3.privKey}"`,
      `rouser ${v3.user} priv`,
      ...(opts.overrides ?? []).map((line) => `override ${line}`),
      '',
    ].join('\n'),
  );
  const proc = new ManagedProcess({
    name: 'snmpd',
    command: 'snmpd',
    args: ['-f', '-C', '-c', conf, '-p', path.join(dir, 'snmpd.pid'), '-Lf', path.join(dir, 'snmpd.log')],
    logFile: path.join(dir, 'snmpd.out'),
    env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: path.join(dir, 'state') },
    logger: createLogger('silent'),
  });
  const stop = async (): Promise<void> => {
    await proc.stop(5000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(proc, () => answersGet(port, community), 10_000);
  } catch (err) {
    const log = fs.existsSync(path.join(dir, 'snmpd.log')) ? fs.readFileSync(path.join(dir, 'snmpd.log'), 'utf8') : '';
    await stop();
    throw new Error(`${(err as Error).message}\nsnmpd.log:\n${log}`);
  }
  return { port, community, v3, stop };
}

/** True when sysUpTime.0 can be read. */
function answersGet(port: number, community: string): Promise<boolean> {
  const session = snmp.createSession('127.0.0.1', community, { port, timeout: 200, retries: 0, version: snmp.Version2c });
  return new Promise<boolean>((resolve) => {
    session.get(['1.3.6.1.2.1.1.3.0'], (error) => resolve(!error));
  }).finally(() => session.close());
}
