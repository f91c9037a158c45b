import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../src/logger';
import { registry } from '../../src/metrics/registry';
import type { RouteSignal } from '../../src/probes/types';
import { until } from '../support/until';
import { startTrapReceiver, type TrapReceiver } from '../../src/signals/trap-receiver';

const LINK_DOWN = '1.3.6.1.6.3.1.1.5.3';
const LINK_UP = '1.3.6.1.6.3.1.1.5.4';
const COLD_START = '1.3.6.1.6.3.1.1.5.1';
const ifIndexVarbind = (n: number): string[] => [`1.3.6.1.2.1.2.2.1.1.${n}`, 'i', String(n)];

/** Routes over interface 3 of 127.0.0.1 (traps come from there) and of 198.18.0.2 (a device behind the relay 127.0.0.3). */
const ROUTES: Record<string, string[]> = { '127.0.0.1#3': ['route-a', 'route-b'], '198.18.0.2#3': ['route-c'] };
const RELAY = '127.0.0.3';
const TRAPPER = { name: 'trapper', authProtocol: 'sha' as const, authKey: 'authpass123', privProtocol: 'aes' as const, privKey: 'privpass123' };

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-snmptrap-'));
let receiver: TrapReceiver;
const signals: RouteSignal[] = [];
const lookups: [string, number][] = [];

/** Sends a trap with the net-snmp command-line tools (numeric OIDs: Debian ships no MIBs). */
async function snmptrap(args: string[], from = '127.0.0.1'): Promise<void> {
  await promisify(execFile)('snmptrap', [`--clientaddr=${from}`, ...args], { env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: stateDir } });
}
const v1LinkDown = (agentAddr: string, from: string, port = receiver.port): Promise<void> =>
  snmptrap(['-v', '1', '-c', 'public', `127.0.0.1:${port}`, '1.3.6.1.4.1.8072.3.2.10', agentAddr, '2', '0', '', ...ifIndexVarbind(3)], from);
const v2cTrap = (trapOid: string, varbinds: string[], community = 'public'): Promise<void> =>
  snmptrap(['-v', '2c', '-c', community, `127.0.0.1:${receiver.port}`, '', trapOid, ...varbinds]);

async function sendDatagram(payload: Buffer, port = receiver.port, from = '127.0.0.1'): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address: from }, resolve));
  return new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))).finally(() => socket.close());
}

const waitFor = (what: string, condition: () => boolean, timeoutMs = 3000) => until(what, condition, timeoutMs, { everyMs: 20 });

beforeAll(async () => {
  receiver = await startTrapReceiver({
    port: 0,
    address: '127.0.0.1',
    communities: ['public'],
    users: [TRAPPER],
    relays: [RELAY],
    ratePerSec: 10_000,
    lookup: (agentAddress, ifIndex) => {
      lookups.push([agentAddress, ifIndex]);
      return ROUTES[`${agentAddress}#${ifIndex}`] ?? [];
    },
    onSignal: (signal) => signals.push(signal),
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await receiver?.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});
beforeEach(() => {
  signals.length = 0;
  lookups.length = 0;
});

describe('SNMP trap receiver', () => {
  it('port 0 gets a real free port (net-snmp alone would bind 162)', () => {
    expect(receiver.port).toBeGreaterThan(1023);
  });

  it('a v2c linkDown becomes one down signal per route on that interface', async () => {
    await v2cTrap(LINK_DOWN, [...ifIndexVarbind(3), '1.3.6.1.2.1.2.2.1.7.3', 'i', '1', '1.3.6.1.2.1.2.2.1.8.3', 'i', '2']);
    await waitFor('two signals', () => signals.length === 2);
    expect(lookups).toEqual([['127.0.0.1', 3]]);
    expect(signals.map((s) => s.routeId)).toEqual(['route-a', 'route-b']);
    for (const s of signals) {
      expect(s).toMatchObject({ source: 'snmp-trap', status: 'down', taxonomy: ['link_down'], detail: 'linkDown ifIndex 3 from 127.0.0.1' });
      expect(s.at).toBeInstanceOf(Date);
    }
  });

  it('a v2c linkUp becomes up signals; the ifIndex may come from an ifOperStatus suffix alone', async () => {
    await v2cTrap(LINK_UP, ['1.3.6.1.2.1.2.2.1.8.3', 'i', '1']);
    await waitFor('two signals', () => signals.length === 2);
    expect(signals.map((s) => [s.routeId, s.status, s.detail, s.taxonomy])).toEqual([
      ['route-a', 'up', 'linkUp ifIndex 3 from 127.0.0.1', undefined],
      ['route-b', 'up', 'linkUp ifIndex 3 from 127.0.0.1', undefined],
    ]);
  });

  it('a spoofed v1 trap cannot speak for another device: its agent-addr counts only from a trusted relay', async () => {
    // From 127.0.0.2, naming 127.0.0.1 (the device of route-a and route-b): looked up as 127.0.0.2's own interface.
    await v1LinkDown('127.0.0.1', '127.0.0.2');
    await waitFor('the lookup', () => lookups.length === 1);
    expect(lookups).toEqual([['127.0.0.2', 3]]);
    // The relay forwards 198.18.0.2's trap: looked up by the agent-addr it names.
    await v1LinkDown('198.18.0.2', RELAY);
    await waitFor('one signal', () => signals.length === 1);
    expect(signals[0]).toMatchObject({ routeId: 'route-c', status: 'down', taxonomy: ['link_down'], detail: 'linkDown ifIndex 3 from 198.18.0.2' });
    // A v2c trap names its device in snmpTrapAddress.0: likewise only from the relay.
    const forwarded = [...ifIndexVarbind(3), '1.3.6.1.6.3.18.1.3.0', 'a', '198.18.0.2'];
    await snmptrap(['-v', '2c', '-c', 'public', `127.0.0.1:${receiver.port}`, '', LINK_DOWN, ...forwarded], '127.0.0.2');
    await snmptrap(['-v', '2c', '-c', 'public', `127.0.0.1:${receiver.port}`, '', LINK_DOWN, ...forwarded], RELAY);
    await waitFor('two signals', () => signals.length === 2);
    expect(lookups).toEqual([['127.0.0.2', 3], ['198.18.0.2', 3], ['127.0.0.2', 3], ['198.18.0.2', 3]]);
  });

  it('accepts SNMPv3 traps of a configured user, and not of an unknown user or a wrong key', async () => {
    const v3 = (user: string, authKey: string) =>
      snmptrap(['-v', '3', '-e', '0x8000000001020304', '-u', user, '-l', 'authPriv', '-a', 'SHA', '-A', authKey, '-x', 'AES', '-X', TRAPPER.privKey, `127.0.0.1:${receiver.port}`, '', LINK_DOWN, ...ifIndexVarbind(3)]);
    const before = receiver.stats();
    await v3('intruder', TRAPPER.authKey);
    await v3(TRAPPER.name, 'wrongpass123');
    await waitFor('two ignored', () => receiver.stats().ignored - before.ignored === 2);
    expect(signals).toEqual([]);
    await v3(TRAPPER.name, TRAPPER.authKey);
    await waitFor('two signals', () => signals.length === 2);
    expect(signals.map((s) => [s.routeId, s.status])).toEqual([
      ['route-a', 'down'],
      ['route-b', 'down'],
    ]);
  });

  it('counts unmapped interfaces, other traps, wrong communities and garbage as ignored, and keeps working', async () => {
    const before = receiver.stats();
    await v2cTrap(LINK_DOWN, ifIndexVarbind(7)); // no route uses ifIndex 7
    await v2cTrap(COLD_START, []); // not a link trap
    await v2cTrap(LINK_DOWN, ifIndexVarbind(3), 'private'); // community not accepted
    await v2cTrap(LINK_DOWN, []); // no ifIndex
    await sendDatagram(Buffer.from('definitely not BER'));
    await sendDatagram(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02])); // a truncated BER sequence
    await waitFor('six ignored datagrams', () => receiver.stats().ignored - before.ignored === 6);
    expect(signals).toEqual([]);
    expect(lookups).toEqual([['127.0.0.1', 7]]);

    await v2cTrap(LINK_DOWN, ifIndexVarbind(3));
    await waitFor('two signals', () => signals.length === 2);
    const after = receiver.stats();
    expect(after.received - before.received).toBe(7);
    expect(after.mapped - before.mapped).toBe(1);
    expect(after.received).toBe(after.mapped + after.ignored);
  });

  it('a second receiver on a taken port fails to start with EADDRINUSE', async () => {
    const options = { port: receiver.port, address: '127.0.0.1', communities: ['public'], lookup: () => [], onSignal: () => undefined, logger: createLogger('silent') };
    await expect(startTrapReceiver(options)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('refuses to start with no community and no v3 user (there is no default community)', async () => {
    const options = { port: 0, address: '127.0.0.1', communities: [], lookup: () => [], onSignal: () => undefined, logger: createLogger('silent') };
    await expect(startTrapReceiver(options)).rejects.toThrow('no SNMP trap community or v3 user is configured');
  });

  it('drops what a source sends beyond its rate before decoding it, and counts it', async () => {
    const limited = await startTrapReceiver({ port: 0, address: '127.0.0.1', communities: ['public'], ratePerSec: 2, lookup: (a, i) => ROUTES[`${a}#${i}`] ?? [], onSignal: (s) => signals.push(s), logger: createLogger('silent') });
    try {
      // A flood of 50 from 127.0.0.2 (no route): ten pass (5 s of 2/s), the rest are dropped.
      await Promise.all(Array.from({ length: 50 }, () => sendDatagram(Buffer.from('flood'), limited.port, '127.0.0.2')));
      await waitFor('50 datagrams', () => limited.stats().received === 50);
      expect(limited.stats()).toMatchObject({ received: 50, limited: 40 });
      await waitFor('ten ignored', () => limited.stats().ignored === 10);
      // Another source has its own allowance: 127.0.0.1's linkDown still gets through.
      await v1LinkDown('0.0.0.0', '127.0.0.2', limited.port); // 127.0.0.2 is over its rate: dropped
      await v1LinkDown('0.0.0.0', '127.0.0.1', limited.port);
      await waitFor('two signals', () => signals.length === 2);
      expect(limited.stats()).toMatchObject({ received: 52, limited: 41, mapped: 1 });
      const metric = await registry.getSingleMetricAsString('statetrace_traps_total');
      expect(metric).toMatch(/statetrace_traps_total\{result="rate_limited"\} (\d+)/);
      expect(Number(/result="rate_limited"\} (\d+)/.exec(metric)![1])).toBeGreaterThanOrEqual(41);
    } finally {
      await limited.close();
    }
  });
});
