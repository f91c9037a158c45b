import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { createLogger } from '../../src/logger';
import type { RouteSignal } from '../../src/probes/types';
import { until } from '../support/until';
import { startTrapReceiver, type TrapReceiver } from '../../src/signals/trap-receiver';

/**
 * Malformed BER at the trap receiver: random datagrams and real traps (v1, v2c, v3, captured
 * from net-snmp's snmptrap) mutated so that none is a trap the receiver may accept: cut short,
 * the outer tag changed, the community or the v3 user name altered, the version made unknown
 * (net-snmp's decoder alone took messages cut short and unknown versions as traps: 2,251 of
 * these 12,000 were signals before the receiver checked the BER itself, and 4 more, a SEQUENCE
 * in primitive form, before it checked each block's form; asn1js threw RangeErrors on some).
 * Every interface of every device maps to a route here, so any datagram decoded as a link trap
 * would be a signal. None may be, and the receiver must keep answering.
 */
const PACKETS = 12_000;
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-trapfuzz-'));
const signals: RouteSignal[] = [];
let receiver: TrapReceiver;

/** One datagram as snmptrap sends it, caught on a socket of our own. */
async function capture(args: string[]): Promise<Buffer> {
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const caught = new Promise<Buffer>((resolve) => sink.once('message', resolve));
  const [version, ...rest] = args;
  await promisify(execFile)('snmptrap', ['-v', version!, ...rest.map((a) => a.replace('SINK', `127.0.0.1:${sink.address().port}`))], { env: { ...process.env, MIBS: '', SNMP_PERSISTENT_DIR: stateDir } });
  const packet = await caught;
  sink.close();
  return packet;
}

const LINK_DOWN_VARBINDS = ['1.3.6.1.2.1.2.2.1.1.3', 'i', '3'];

/** Changes the bytes of `needle` inside `packet` (the length stays, so only its content is wrong). */
const alter = (packet: Buffer, needle: string, by: number) => {
  const at = packet.indexOf(needle);
  if (at < 0) throw new Error(`${needle} is not in the packet`);
  const out = Buffer.from(packet);
  const i = at + (by % needle.length);
  out[i] = out[i]! ^ (1 + (by % 254));
  return out;
};

async function send(socket: dgram.Socket, payload: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => socket.send(payload, receiver.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

const waitFor = (what: string, condition: () => boolean, timeoutMs = 20_000) => until(what, condition, timeoutMs, { everyMs: 20 });

beforeAll(async () => {
  receiver = await startTrapReceiver({
    port: 0,
    address: '127.0.0.1',
    communities: ['public'],
    users: [{ name: 'trapper', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' }],
    ratePerSec: 1_000_000,
    lookup: () => ['fuzzed'],
    onSignal: (s) => signals.push(s),
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await receiver?.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('trap receiver under malformed BER', () => {
  it(`${PACKETS} random and mutated datagrams: no crash, no signal, every one counted, and a real trap still gets through`, async () => {
    const v1 = await capture(['1', '-c', 'public', 'SINK', '1.3.6.1.4.1.8072.3.2.10', '0.0.0.0', '2', '0', '', ...LINK_DOWN_VARBINDS]);
    const v2c = await capture(['2c', '-c', 'public', 'SINK', '', '1.3.6.1.6.3.1.1.5.3', ...LINK_DOWN_VARBINDS]);
    const v3 = await capture(['3', '-e', '0x8000000001020304', '-u', 'trapper', '-l', 'authPriv', '-a', 'SHA', '-A', 'authpass123', '-x', 'AES', '-X', 'privpass123', 'SINK', '', '1.3.6.1.6.3.1.1.5.3', ...LINK_DOWN_VARBINDS]);
    const communityTraps = [v1, v2c];
    const all = [v1, v2c, v3];

    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
      // Looks like BER: a SEQUENCE tag and a length, then anything.
      fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.uint8Array({ maxLength: 600 })).map(([len, rest]) => Buffer.concat([Buffer.from([0x30, len]), rest])),
      // A real trap cut short anywhere.
      fc.tuple(fc.constantFrom(...all), fc.nat()).map(([p, n]) => p.subarray(0, n % p.length)),
      // The outer SEQUENCE tag replaced.
      fc.tuple(fc.constantFrom(...all), fc.integer({ min: 0, max: 0xff }).filter((t) => t !== 0x30)).map(([p, tag]) => Buffer.concat([Buffer.from([tag]), p.subarray(1)])),
      // A wrong community, a wrong v3 user.
      fc.tuple(fc.constantFrom(...communityTraps), fc.nat()).map(([p, n]) => alter(p, 'public', n)),
      fc.nat().map((n) => alter(v3, 'trapper', n)),
      // An unknown version (the INTEGER right after the outer header: 02 01 <v>).
      fc.tuple(fc.constantFrom(...all), fc.integer({ min: 4, max: 0x7f })).map(([p, v]) => {
        const out = Buffer.from(p);
        out[out.indexOf(Buffer.from([0x02, 0x01])) + 2] = v;
        return out;
      }),
    );
    const packets = fc.sample(packet, { numRuns: PACKETS, seed: 20261207 });
    expect(packets).toHaveLength(PACKETS);

    const socket = dgram.createSocket('udp4');
    try {
      const before = receiver.stats();
      // In batches, so the socket's receive buffer never overflows (every datagram must arrive to be counted).
      for (let i = 0; i < packets.length; i += 200) {
        await Promise.all(packets.slice(i, i + 200).map((p) => send(socket, p)));
        await waitFor('the batch', () => receiver.stats().received - before.received >= Math.min(i + 200, packets.length));
      }
      await waitFor('every datagram handled', () => {
        const s = receiver.stats();
        return s.ignored + s.mapped - before.ignored - before.mapped === PACKETS;
      });
      const after = receiver.stats();
      expect(after.received - before.received).toBe(PACKETS);
      expect(after.mapped - before.mapped).toBe(0);
      expect(after.limited - before.limited).toBe(0);
      expect(signals).toEqual([]);

      // Still alive: the unmutated v2c trap is a signal.
      await send(socket, v2c);
      await waitFor('the real trap', () => signals.length === 1);
      expect(signals[0]).toMatchObject({ routeId: 'fuzzed', status: 'down', source: 'snmp-trap' });
    } finally {
      socket.close();
    }
  }, 120_000);
});
