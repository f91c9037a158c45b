import dgram from 'node:dgram';
import { once } from 'node:events';
import { isIPv6 } from 'node:net';
import * as asn1 from 'asn1js';
import * as snmp from 'net-snmp';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import { traps } from '../metrics/instruments';
import type { RouteSignal } from '../probes/types';

const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
/** snmpTrapAddress.0 (RFC 3584): the address of the device a forwarded v2c/v3 trap came from. */
const SNMP_TRAP_ADDRESS = '1.3.6.1.6.3.18.1.3.0';
const LINK_TRAPS: Record<string, LinkEvent> = { '1.3.6.1.6.3.1.1.5.3': 'linkDown', '1.3.6.1.6.3.1.1.5.4': 'linkUp' };
/** SNMPv1 generic-trap numbers (RFC 1157). */
const GENERIC_LINK_TRAPS: Record<number, LinkEvent> = { 2: 'linkDown', 3: 'linkUp' };
const IF_INDEX = '1.3.6.1.2.1.2.2.1.1.';
/** ifAdminStatus and ifOperStatus varbinds carry the ifIndex as their instance suffix. */
const IF_STATUS_COLUMNS = ['1.3.6.1.2.1.2.2.1.7.', '1.3.6.1.2.1.2.2.1.8.'];
/** Attempts at binding a freshly chosen port that another process took in the meantime. */
const BIND_ATTEMPTS = 5;

type LinkEvent = 'linkDown' | 'linkUp';

/** An SNMPv3 user whose traps are accepted (authNoPriv, or authPriv with a privacy protocol). */
export interface TrapUser {
  name: string;
  authProtocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey: string;
  privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey?: string;
}

export interface TrapReceiverOptions {
  /** UDP port; 0 picks a free one (see `TrapReceiver.port`). */
  port: number;
  /** Address to listen on; all IPv4 addresses when omitted. */
  address?: string;
  /** Accepted v1/v2c communities. There is no default: with no community and no v3 user the receiver refuses to start. */
  communities: string[];
  /** Accepted SNMPv3 users. */
  users?: TrapUser[];
  /**
   * Addresses that may forward other devices' traps: only from these does a trap's own idea of
   * its device count (a v1 agent-addr, a v2c/v3 snmpTrapAddress.0). From anyone else the
   * datagram's source address is the device, whatever the trap says.
   */
  relays?: string[];
  /** Datagrams per second one source address may send (bursts of five seconds' worth); more are dropped before decoding. Default 20. */
  ratePerSec?: number;
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
  /** Dropped before decoding: their source sent more than its rate allows. */
  limited: number;
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
  getAuthorizer(): { addCommunity(community: string): void; addUser(user: object): void };
  close(callback: () => void): void;
}
type ReceiverCallback = (error: (Error & { rinfo?: dgram.RemoteInfo }) | null, trap?: ReceivedTrap) => void;

export interface LinkTrap {
  event: LinkEvent;
  /** The device the trap is about: the datagram's source, or from a trusted relay the address the trap names. */
  agentAddress: string;
  ifIndex?: number;
}

/**
 * Listens for SNMP v1/v2c linkDown/linkUp traps and turns each into one RouteSignal per route
 * that depends on the interface. Nothing a sender does can make it throw: other traps,
 * unmapped interfaces and garbage are counted as ignored and logged at debug.
 */
export async function startTrapReceiver(opts: TrapReceiverOptions): Promise<TrapReceiver> {
  const users = opts.users ?? [];
  if (opts.communities.length === 0 && users.length === 0) throw new Error('no SNMP trap community or v3 user is configured: the receiver would accept none (set STATETRACE_TRAP_COMMUNITIES or STATETRACE_TRAP_V3_USERS)');
  const relays = new Set(opts.relays ?? []);
  const counts: TrapReceiverStats = { received: 0, mapped: 0, ignored: 0, limited: 0 };
  const log = opts.logger.child({ component: 'trap-receiver' });
  const ignore = (reason: string, fields: object = {}): void => {
    counts.ignored++;
    traps.inc({ result: 'ignored' });
    log.debug(fields, `trap ignored: ${reason}`);
  };

  const handleTrap = async (received: ReceivedTrap): Promise<void> => {
    const trap = interpretLinkTrap(received.pdu, received.rinfo.address, relays);
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
    traps.inc({ result: 'mapped' });
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
    if (error || !received) return ignore(error?.message ?? 'empty message', { from: error?.rinfo?.address });
    void handleTrap(received);
  };

  const ratePerSec = opts.ratePerSec ?? 20;
  const limiter = new RateLimiterMemory({ points: ratePerSec * 5, duration: 5 });
  let lastLimitLog = 0;
  const admit = async (msg: Buffer, rinfo: dgram.RemoteInfo): Promise<boolean> => {
    counts.received++;
    try {
      await limiter.consume(rinfo.address);
    } catch {
      counts.limited++;
      traps.inc({ result: 'rate_limited' });
      // One line a minute at most: the log must not become the flood.
      if (Date.now() - lastLimitLog > 60_000) {
        lastLimitLog = Date.now();
        log.warn({ from: rinfo.address, ratePerSec }, 'traps dropped: a source sends more than its rate allows');
      }
      return false;
    }
    const malformed = malformedMessage(msg);
    if (malformed) ignore(`malformed: ${malformed}`, { from: rinfo.address });
    return !malformed;
  };

  const { receiver, port } = await bindReceiver(opts, onMessage, admit);
  listening = true;
  const authorizer = receiver.getAuthorizer();
  for (const community of opts.communities) authorizer.addCommunity(community);
  for (const user of users) authorizer.addUser(netSnmpUser(user));
  log.info({ port, address: opts.address ?? '0.0.0.0', communities: opts.communities.length, users: users.length, relays: relays.size, ratePerSec }, 'SNMP trap receiver listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    stats: () => ({ ...counts }),
    close: () => (closed ??= new Promise((resolve) => receiver.close(() => resolve()))),
  };
}

function netSnmpUser(user: TrapUser): object {
  return {
    name: user.name,
    level: user.privProtocol ? snmp.SecurityLevel.authPriv : snmp.SecurityLevel.authNoPriv,
    authProtocol: snmp.AuthProtocols[user.authProtocol],
    authKey: user.authKey,
    ...(user.privProtocol ? { privProtocol: snmp.PrivProtocols[user.privProtocol], privKey: user.privKey } : {}),
  };
}

/**
 * linkDown/linkUp by snmpTrapOID (v2c, v3) or generic-trap (v1), with the interface's ifIndex.
 * The device is the datagram's source: anyone can write any agent-addr into a v1 trap. Only a
 * trusted relay's forwarded trap is taken for the device it names.
 */
export function interpretLinkTrap(pdu: ReceivedTrap['pdu'], sourceAddress: string, relays: ReadonlySet<string> = new Set()): LinkTrap | undefined {
  const isV1 = pdu.type === snmp.PduType.Trap;
  const event = isV1
    ? GENERIC_LINK_TRAPS[pdu.generic ?? -1]
    : LINK_TRAPS[String(pdu.varbinds.find((vb) => vb.oid === SNMP_TRAP_OID)?.value)];
  if (!event) return undefined;
  const named = isV1 ? pdu.agentAddr : pdu.varbinds.find((vb) => vb.oid === SNMP_TRAP_ADDRESS)?.value;
  const forwarded = relays.has(sourceAddress) && typeof named === 'string' && named !== '0.0.0.0' ? named : undefined;
  return { event, agentAddress: forwarded ?? sourceAddress, ifIndex: ifIndexOf(pdu.varbinds) };
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
type Admit = (msg: Buffer, rinfo: dgram.RemoteInfo) => Promise<boolean>;

async function bindReceiver(opts: TrapReceiverOptions, callback: ReceiverCallback, admit: Admit): Promise<{ receiver: NetSnmpReceiver; port: number }> {
  const transport = opts.address && isIPv6(opts.address) ? 'udp6' : 'udp4';
  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await freeUdpPort(transport, opts.address));
    let socket: dgram.Socket | undefined;
    // net-snmp's documented `dgramModule` option: it lets us see the socket and wait for the
    // bind, and hand net-snmp only the datagrams `admit` lets through.
    const dgramModule = { createSocket: (type: dgram.SocketType) => (socket = admitted(dgram.createSocket(type), admit)) };
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

/** The socket, with its 'message' listeners called only for datagrams `admit` lets through. */
function admitted(socket: dgram.Socket, admit: Admit): dgram.Socket {
  const on = socket.on.bind(socket);
  socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
    if (event !== 'message') return on(event, listener);
    return on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) =>
      void admit(msg, rinfo)
        .then((ok) => ok && listener(msg, rinfo))
        .catch((err: unknown) => socket.emit('error', Object.assign(err as Error, { rinfo }))),
    );
  }) as dgram.Socket['on'];
  return socket;
}

/**
 * Why a datagram is not a well-formed SNMP message, if it is not: one BER SEQUENCE filling the
 * datagram exactly, every length consistent, starting with version 0 (v1), 1 (v2c) or 3.
 * net-snmp's own decoder is lenient (it took messages cut short and unknown versions as traps),
 * so a strict BER parser sees each datagram first.
 */
export function malformedMessage(msg: Buffer): string | undefined {
  let decoded: ReturnType<typeof asn1.fromBER>;
  try {
    decoded = asn1.fromBER(new Uint8Array(msg));
  } catch (err) {
    return `undecodable BER (${(err as Error).message})`; // asn1js throws on some garbage (the fuzz test found RangeErrors)
  }
  const { offset, result } = decoded;
  if (offset === -1) return result.error || 'undecodable BER';
  if (offset !== msg.length) return `${msg.length - offset} bytes after the message`;
  if (!(result instanceof asn1.Sequence)) return 'not a SEQUENCE';
  const version = result.valueBlock.value[0];
  if (!(version instanceof asn1.Integer) || ![0, 1, 3].includes(version.valueBlock.valueDec)) return 'not SNMP version 1, 2c or 3';
  return misencoded(result, 0);
}

/**
 * A block in a form SNMP never uses, which the two decoders read differently (asn1js and
 * net-snmp both took a SEQUENCE in primitive form, 0x10, as a SEQUENCE). Universal: only
 * SEQUENCE and SET are constructed. Application (IpAddress, Counter32, TimeTicks…): primitive.
 * Context-specific: the PDU (depth 1, or 2 inside a v3 scoped PDU) is constructed; below it
 * only varbind exceptions (noSuchObject…), which are primitive.
 */
function misencoded(block: asn1.AsnType, depth: number): string | undefined {
  const { tagClass, tagNumber, isConstructed } = block.idBlock;
  const constructed = tagClass === 1 ? tagNumber === 16 || tagNumber === 17 : tagClass === 3 && depth <= 2;
  if (isConstructed !== constructed) return `tag class ${tagClass} number ${tagNumber} ${isConstructed ? 'constructed' : 'primitive'} at depth ${depth}`;
  if (!isConstructed) return undefined;
  for (const child of (block.valueBlock as { value: asn1.AsnType[] }).value) {
    const why = misencoded(child, depth + 1);
    if (why) return why;
  }
  return undefined;
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
