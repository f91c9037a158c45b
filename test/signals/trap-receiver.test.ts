import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../src/logger';
import type { RouteSignal } from '../../src/probes/types';
import { startTrapReceiver, type TrapReceiver } from '../../src/signals/trap-receiver';

const LINK_DOWN = '1.3.6.1.6.3.1.1.5.3';
const LINK_UP = '1.3.6.1.6.3.1.1.5.4';
const COLD_START = '1.3.6.1.6.3.1.1.5.1';
const ifIndexVarbind = (n: number): string[] => [`1.3.6.1.2.1.2.2.1.1.${n}`, 'i', String(n)];

/** Routes over interface 3 of 127.0.0.1 (v2c traps come from there) and of 198.18.0.2 (a v1 agent-addr). */
const ROUTES: Record<string, string[]> = { '127.0.0.1#3': ['route-a', 'route-b'], '198.18.0.2#3': ['route-c'] };

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-snmptrap-'));
let receiver: TrapReceiver;
const signals: RouteSignal[] = [];
const lookups: [string, number][] = [];

/** Sends a trap with the net-snmp command-line tools (numeric OIDs: Debian ships no MIBs). */
async function snmptrap(args: string[]): Promise<void> {
  await promisify(execFile)('snmptrap', args, { env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: stateDir } });
}
const v2cTrap = (trapOid: string, varbinds: string[], community = 'public'): Promise<void> =>
  snmptrap(['-v', '2c', '-c', community, `127.0.0.1:${receiver.port}`, '', trapOid, ...varbinds]);

function sendDatagram(payload: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4');
  return new Promise<void>((resolve, reject) => socket.send(payload, receiver.port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))).finally(() => socket.close());
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  receiver = await startTrapReceiver({
    port: 0,
    address: '127.0.0.1',
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

  it('a v1 linkDown (generic-trap 2) is looked up by its agent-addr', async () => {
    await snmptrap(['-v', '1', '-c', 'public', `127.0.0.1:${receiver.port}`, '1.3.6.1.4.1.8072.3.2.10', '198.18.0.2', '2', '0', '', ...ifIndexVarbind(3)]);
    await waitFor('one signal', () => signals.length === 1);
    expect(signals[0]).toMatchObject({ routeId: 'route-c', status: 'down', taxonomy: ['link_down'], detail: 'linkDown ifIndex 3 from 198.18.0.2' });
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
    const options = { port: receiver.port, address: '127.0.0.1', lookup: () => [], onSignal: () => undefined, logger: createLogger('silent') };
    await expect(startTrapReceiver(options)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
