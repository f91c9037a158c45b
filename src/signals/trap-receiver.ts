import dgram from 'node:dgram';
import { once } from 'node:events';
import { isIPv6 } from 'node:net';
import * as snmp from 'net-snmp';
import type { Logger } from '../logger';
import type { RouteSignal } from '../probes/types';

const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const LINK_TRAPS: Record<string, LinkEvent> = { '1.3.6.1.6.3.1.1.5.3': 'linkDown', '1.3.6.1.6.3.1.1.5.4': 'linkUp' };
/** SNMPv1 generic-trap numbers (RFC 1157). */
const GENERIC_LINK_TRAPS: Record<number, LinkEvent> = { 2: 'linkDown', 3: 'linkUp' };
const IF_INDEX = '1.3.6.1.2.1.2.2.1.1.';
/** ifAdminStatus and ifOperStatus varbinds carry the ifIndex as their instance suffix. */
const IF_STATUS_COLUMNS = ['1.3.6.1.2.1.2.2.1.7.', '1.3.6.1.2.1.2.2.1.8.'];
/** Attempts at binding a freshly chosen port that another process took in the meantime. */
const BIND_ATTEMPTS = 5;

type LinkEvent = 'linkDown' | 'linkUp';

export interface TrapReceiverOptions {
  /** UDP port; 0 picks a free one (see `TrapReceiver.port`). */
  port: number;
  /** Address to listen on; all IPv4 addresses when omitted. */
  address?: string;
  /** Accepted v1/v2c communities; traps with others are ignored. Default ['public']. */
  communities?: string[];
  /** Route ids that depend on interface `ifIndex` of the device at `agentAddress`. */
  lookup: (agentAddress: string, ifIndex: number) => string[] | Promise<string[]>;
  onSignal: (signal: RouteSignal) => void;
  logger: Logger;
}

export interface TrapReceiverStats {
  /** Datagrams that reached the port. */
  received: number;
  /** linkDown/linkUp traps that matched at least one route. */
  mapped: number;
  /** Everything else: undecodable, wrong community, other traps, unmapped interfaces. */
  ignored: number;
}

export interface TrapReceiver {
  port: number;
  close(): Promise<void>;
  stats(): TrapReceiverStats;
}

/** What net-snmp hands the receiver callback (its typings declare it as any). */
interface ReceivedTrap {
  pdu: { type: number; varbinds: snmp.Varbind[]; agentAddr?: string; generic?: number };
  rinfo: dgram.RemoteInfo;
}
interface NetSnmpReceiver {
  getAuthorizer(): { addCommunity(community: string): void };
  close(callback: () => void): void;
}
type ReceiverCallback = (error: (Error & { rinfo?: dgram.RemoteInfo }) | null, trap?: ReceivedTrap) => void;

export interface LinkTrap {
  event: LinkEvent;
  /** The device the trap is about: the v1 agent-addr, else the datagram's source. */
  agentAddress: string;
  ifIndex?: number;
}

/**
 * Listens for SNMP v1/v2c linkDown/linkUp traps and turns each into one RouteSignal per route
 * that depends on the interface. Nothing a sender does can make it throw: other traps,
 * unmapped interfaces and garbage are counted as ignored and logged at debug.
 */
export async function startTrapReceiver(opts: TrapReceiverOptions): Promise<TrapReceiver> {
  const counts: TrapReceiverStats = { received: 0, mapped: 0, ignored: 0 };
  const log = opts.logger.child({ component: 'trap-receiver' });
  const ignore = (reason: string, fields: object = {}): void => {
    counts.ignored++;
    log.debug(fields, `trap ignored: ${reason}`);
  };

  const handleTrap = async (received: ReceivedTrap): Promise<void> => {
    const trap = interpretLinkTrap(received.pdu, received.rinfo.address);
    if (!trap) return ignore('not a linkDown/linkUp trap', { from: received.rinfo.address });
    if (trap.ifIndex === undefined) return ignore('no ifIndex in the trap', { ...trap });
    const { event, agentAddress, ifIndex } = trap;
    let routeIds: string[];
    try {
      routeIds = await opts.lookup(agentAddress, ifIndex);
    } catch (err) {
      return ignore('route lookup failed', { ...trap, err });
    }
    if (routeIds.length === 0) return ignore('no route uses this interface', { ...trap });
    counts.mapped++;
    const at = new Date();
    const detail = `${event} ifIndex ${ifIndex} from ${agentAddress}`;
    for (const routeId of routeIds) {
      const signal: RouteSignal =
        event === 'linkDown'
          ? { routeId, at, source: 'snmp-trap', status: 'down', detail, taxonomy: ['link_down'] }
          : { routeId, at, source: 'snmp-trap', status: 'up', detail };
      try {
        opts.onSignal(signal);
      } catch (err) {
        log.warn({ err, routeId }, 'onSignal threw; the signal is lost');
      }
    }
  };

  let listening = false;
  const onMessage: ReceiverCallback = (error, received) => {
    // Errors without rinfo come from the socket itself, not from a datagram.
    if (error && !error.rinfo) {
      if (listening) log.warn({ err: error }, 'trap receiver socket error');
      return;
    }
    counts.received++;
    if (error || !received) return ignore(error?.message ?? 'empty message', { from: error?.rinfo?.address });
    void handleTrap(received);
  };

  const { receiver, port } = await bindReceiver(opts, onMessage);
  listening = true;
  for (const community of opts.communities ?? ['public']) receiver.getAuthorizer().addCommunity(community);
  log.info({ port, address: opts.address ?? '0.0.0.0' }, 'SNMP trap receiver listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    stats: () => ({ ...counts }),
    close: () => (closed ??= new Promise((resolve) => receiver.close(() => resolve()))),
  };
}

/** linkDown/linkUp by snmpTrapOID (v2c) or generic-trap (v1), with the interface's ifIndex. */
export function interpretLinkTrap(pdu: ReceivedTrap['pdu'], sourceAddress: string): LinkTrap | undefined {
  const isV1 = pdu.type === snmp.PduType.Trap;
  const event = isV1
    ? GENERIC_LINK_TRAPS[pdu.generic ?? -1]
    : LINK_TRAPS[String(pdu.varbinds.find((vb) => vb.oid === SNMP_TRAP_OID)?.value)];
  if (!event) return undefined;
  const agentAddress = isV1 && pdu.agentAddr && pdu.agentAddr !== '0.0.0.0' ? pdu.agentAddr : sourceAddress;
  return { event, agentAddress, ifIndex: ifIndexOf(pdu.varbinds) };
}

function ifIndexOf(varbinds: snmp.Varbind[]): number | undefined {
  const fromIfIndex = varbinds.find((vb) => vb.oid.startsWith(IF_INDEX));
  if (fromIfIndex) return Number(fromIfIndex.value);
  const fromStatus = varbinds.find((vb) => IF_STATUS_COLUMNS.some((c) => vb.oid.startsWith(c)));
  const suffix = fromStatus?.oid.split('.').pop();
  return suffix ? Number(suffix) : undefined;
}

/**
 * Creates the net-snmp receiver and waits until its socket listens. net-snmp treats port 0
 * as "use 162", so for port 0 a free UDP port is chosen first (and chosen again should
 * another process take it before the bind).
 */
async function bindReceiver(opts: TrapReceiverOptions, callback: ReceiverCallback): Promise<{ receiver: NetSnmpReceiver; port: number }> {
  const transport = opts.address && isIPv6(opts.address) ? 'udp6' : 'udp4';
  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await freeUdpPort(transport, opts.address));
    let socket: dgram.Socket | undefined;
    // net-snmp's documented `dgramModule` option: it lets us see the socket and wait for the bind.
    const dgramModule = { createSocket: (type: dgram.SocketType) => (socket = dgram.createSocket(type)) };
    const receiver = snmp.createReceiver({ port, address: opts.address, transport, dgramModule }, callback) as NetSnmpReceiver;
    try {
      await once(socket!, 'listening');
      return { receiver, port };
    } catch (err) {
      socket!.close(); // a failed bind leaves the socket open
      const retry = opts.port === 0 && attempt < BIND_ATTEMPTS && (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!retry) throw err;
    }
  }
}

function freeUdpPort(transport: dgram.SocketType, address?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(transport);
    socket.once('error', reject);
    socket.bind(0, address, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
