// The testbed itself, end to end: needs root (this machine has it). Instance 15 so it does
// not collide with testbeds of other suites.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import snmp from 'net-snmp';
import { processesMentioning } from '../support/processes';
import { planFor } from './plan';
import { testbedDown, testbedUp, type Testbed } from './testbed';

const ID = 15;
const TRAP_PORT = 16215; // on the testbed's own host address, so no other listener can hold it
const LINK_DOWN_TRAP = '1.3.6.1.6.3.1.1.5.3';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const IF_INDEX = '1.3.6.1.2.1.2.2.1.1';

/** stdout of a command that may exit non-zero (ping does when replies are missing). */
function output(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 30_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout });
    });
  });
}

async function ping(target: string, args: string[]): Promise<{ sent: number; received: number; rttsMs: number[] }> {
  const { stdout } = await output('ping', ['-n', ...args, target]);
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!summary) throw new Error(`unexpected ping output:\n${stdout}`);
  return {
    sent: Number(summary[1]),
    received: Number(summary[2]),
    rttsMs: [...stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])),
  };
}

async function snmpget(testbed: Testbed, auth: string[], oid: string): Promise<string> {
  const { code, stdout } = await output('snmpget', [...auth, '-Oqv', '-t', '2', '-r', '1', testbed.agent.address, oid], { ...process.env, MIBS: '' });
  expect(code).toBe(0);
  return stdout.trim();
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdDev = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('network testbed', () => {
  let testbed: Testbed;
  let target: string;

  beforeAll(async () => {
    testbed = await testbedUp({ id: ID, trapSink: { port: TRAP_PORT } });
    target = testbed.targets[0] as string;
  }, 30_000);

  afterAll(() => testbedDown(ID), 30_000);

  it('reaches a target from the root namespace', async () => {
    expect((await ping(target, ['-c', '3', '-W', '1', '-i', '0.2'])).received).toBe(3);
  });

  it('answers SNMP v2c and v3 authPriv, with the pinned BGP peer states', async () => {
    const { v3 } = testbed.agent;
    const v2c = ['-v2c', '-c', testbed.agent.community];
    const authPriv = ['-v3', '-l', 'authPriv', '-u', v3.user, '-a', 'SHA', '-A', v3.authKey, '-x', 'AES', '-X', v3.privKey];
    const sysDescr = '.1.3.6.1.2.1.1.1.0';
    expect(await snmpget(testbed, v2c, sysDescr)).toMatch(/Linux/);
    expect(await snmpget(testbed, authPriv, sysDescr)).toMatch(/Linux/);
    const bgpPeerState = (peer: string): Promise<string> => snmpget(testbed, v2c, `.1.3.6.1.2.1.15.3.1.2.${peer}`);
    expect(await bgpPeerState(testbed.links.primary.coreAddress)).toBe('6');
    expect(await bgpPeerState(testbed.links.backup.coreAddress)).toBe('1');
  });

  it('fails the primary: pings fail and a linkDown trap with its ifIndex arrives within 5 s', async () => {
    const traps: { at: number; varbinds: { oid: string; value: unknown }[] }[] = [];
    const receiver: { close(): void } = snmp.createReceiver(
      { port: TRAP_PORT, address: testbed.hostAddress, disableAuthorization: true },
      (error: Error | null, notification?: { pdu: { varbinds: { oid: string; value: unknown }[] } }) => {
        if (!error && notification) traps.push({ at: Date.now(), varbinds: notification.pdu.varbinds });
      },
    );
    try {
      const failedAt = Date.now();
      await testbed.fail('primary');
      const isLinkDown = (t: (typeof traps)[number]): boolean =>
        t.varbinds.some((v) => v.oid === SNMP_TRAP_OID && v.value === LINK_DOWN_TRAP) &&
        t.varbinds.some((v) => v.oid === `${IF_INDEX}.${testbed.links.primary.ifIndex}` && v.value === testbed.links.primary.ifIndex);
      while (!traps.some(isLinkDown) && Date.now() - failedAt < 5_000) await new Promise((r) => setTimeout(r, 50));
      const trap = traps.find(isLinkDown);
      expect(trap).toBeDefined();
      console.log(`linkDown trap after ${(trap?.at ?? NaN) - failedAt} ms`);
    } finally {
      receiver.close();
    }
    expect((await ping(target, ['-c', '3', '-W', '1', '-i', '0.2'])).received).toBe(0);
  }, 20_000);

  it('heals the primary: its route is back and pings succeed', async () => {
    await testbed.heal('primary');
    const { stdout } = await output('ip', ['-n', `${testbed.prefix}edge`, 'route', 'show', planFor(ID).targetsPrefix]);
    expect(stdout).toContain(`via ${testbed.links.primary.coreAddress} dev ${testbed.links.primary.edgeIf}`);
    expect((await ping(target, ['-c', '3', '-W', '1', '-i', '0.2'])).received).toBe(3);
  });

  it('delays echo replies by 80 ms ± 10 ms of jitter', async () => {
    await testbed.degrade('primary', { delayMs: 80, jitterMs: 10 });
    const { received, rttsMs } = await ping(target, ['-c', '30', '-W', '2', '-i', '0.05']);
    await testbed.heal('primary');
    expect(received).toBe(30);
    console.log(`RTT with 80 ± 10 ms: mean ${mean(rttsMs).toFixed(1)} ms, sd ${stdDev(rttsMs).toFixed(1)} ms, ` + `min ${Math.min(...rttsMs)}, max ${Math.max(...rttsMs)}`);
    expect(Math.abs(mean(rttsMs) - 80)).toBeLessThanOrEqual(15);
    // Uniform ±10 ms: standard deviation 10/√3 ≈ 5.8 ms, every sample within 70..90 (+ forwarding).
    expect(stdDev(rttsMs)).toBeGreaterThan(2.5);
    expect(stdDev(rttsMs)).toBeLessThan(9);
    expect(Math.min(...rttsMs)).toBeGreaterThanOrEqual(69);
    expect(Math.max(...rttsMs)).toBeLessThanOrEqual(100);
    // Healing cleared the delay.
    expect(mean((await ping(target, ['-c', '3', '-W', '1', '-i', '0.05'])).rttsMs)).toBeLessThan(10);
  });

  it('drops about 20 % of echo requests', async () => {
    await testbed.degrade('primary', { lossPct: 20 });
    const { sent, received } = await ping(target, ['-c', '200', '-W', '1', '-i', '0.01']);
    await testbed.heal('primary');
    const lossPct = (100 * (sent - received)) / sent;
    console.log(`loss with 20 %: ${lossPct.toFixed(1)} % of ${sent}`);
    expect(lossPct).toBeGreaterThanOrEqual(8);
    expect(lossPct).toBeLessThanOrEqual(35);
    expect((await ping(target, ['-c', '20', '-W', '1', '-i', '0.01'])).received).toBe(20);
  });

  it('down() leaves no namespace, process, root route or state behind', async () => {
    await testbed.down();
    const { stdout: namespaces } = await output('ip', ['netns', 'list']);
    expect(namespaces).not.toContain(testbed.prefix);
    expect(processesMentioning(planFor(ID).stateDir)).toEqual([]);
    const { stdout: routes } = await output('ip', ['route', 'show']);
    for (const prefix of [planFor(ID).uplinkPrefix, ...planFor(ID).routes.filter((r) => r.ns === null).map((r) => r.dst)]) {
      expect(routes).not.toContain(prefix);
    }
    expect(fs.existsSync(planFor(ID).stateDir)).toBe(false);
  });
});
