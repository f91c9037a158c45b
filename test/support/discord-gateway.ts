import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayIdentifyData,
  type GatewayReadyDispatchData,
  type GatewayResumeData,
  type UserFlags,
} from 'discord.js';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The Discord gateway for the simulator (API v10, JSON, no compression), speaking its opcodes
 * as @discordjs/ws expects them: HELLO on connect; IDENTIFY (wrong token: close 4004;
 * privileged intents the app was not granted: 4014) answered with READY, then GUILD_CREATE
 * per guild if the bot asked for the GUILDS intent; every heartbeat ACKed. RESUME of a session
 * whose socket closed with anything but 1000/1001 replays the dispatches the bot missed and
 * sends RESUMED; an unknown session gets op 9 (invalid session, not resumable). Presence,
 * voice and member requests (ops 3, 4, 8) are accepted and ignored.
 */
export interface GatewaySession {
  sessionId: string;
  /** IDENTIFY's intents. */
  intents: number;
  shard: [number, number];
  identifiedAt: number;
  /** `resumable`: the socket closed but the bot may RESUME, and dispatches are kept for it; `ended`: closed for good. */
  state: 'open' | 'resumable' | 'ended';
  /** The last sequence number dispatched. */
  seq: number;
  /** The bot's heartbeats (op 1), with the sequence each carried; each was ACKed (op 11) at once. */
  heartbeats: { at: number; seq: number | null }[];
  resumes: number;
  /** The close code of this session's last socket. */
  closeCode?: number;
}

export interface GatewayOptions {
  token: string;
  user: APIUser;
  application: GatewayReadyDispatchData['application'];
  heartbeatIntervalMs: number;
  /** The privileged intents (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT) the app may ask for. */
  privilegedIntents: number;
  /** The gateway's own URL (also READY's `resume_gateway_url`). */
  url: () => string;
  guildIds: () => string[];
  guildCreate: (guildId: string, intents: number) => GatewayGuildCreateDispatchData;
}

interface Dispatch {
  op: GatewayOpcodes.Dispatch;
  t: GatewayDispatchEvents;
  s: number;
  d: unknown;
}

const PRIVILEGED = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

export class Gateway {
  readonly sessions: GatewaySession[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<GatewaySession, WebSocket>();
  /** Everything dispatched to a session, for replay on RESUME. */
  private readonly sent = new Map<GatewaySession, Dispatch[]>();

  constructor(private readonly opts: GatewayOptions) {}

  /** Takes the upgrade if it is for the gateway's path; false otherwise. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== '/gateway') return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws, url.searchParams));
    return true;
  }

  /** Sends an event to every live session whose intents include `intent` (all if none is given). */
  dispatch(t: GatewayDispatchEvents, d: unknown, intent?: number): void {
    for (const s of this.sessions) if (s.state !== 'ended' && (intent === undefined || s.intents & intent)) this.dispatchTo(s, t, d);
  }

  /** The newest session with an open socket, which interactions go to. */
  openSession(): GatewaySession | undefined {
    return this.sessions.filter((s) => s.state === 'open').at(-1);
  }

  dispatchTo(session: GatewaySession, t: GatewayDispatchEvents, d: unknown): void {
    const payload: Dispatch = { op: GatewayOpcodes.Dispatch, t, s: ++session.seq, d };
    this.sent.get(session)?.push(payload);
    this.sockets.get(session)?.send(JSON.stringify(payload));
  }

  /** Op 7 to every open session: the bot should reconnect and RESUME. */
  requestReconnect(): void {
    for (const [, ws] of this.sockets) ws.send(JSON.stringify({ op: GatewayOpcodes.Reconnect, d: null, s: null, t: null }));
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private connect(ws: WebSocket, query: URLSearchParams): void {
    if (query.get('v') !== '10') return ws.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
    // Only JSON without transport compression is spoken (@discordjs/ws's choice without zlib-sync).
    if (query.get('encoding') !== 'json' || query.has('compress')) return ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    let session: GatewaySession | undefined;
    const send = (payload: object) => ws.send(JSON.stringify(payload));
    send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs, _trace: ['["statetrace-sim",{}]'] }, s: null, t: null });

    ws.on('message', (raw, isBinary) => {
      let p: { op?: unknown; d?: unknown };
      try {
        if (isBinary) throw new Error('binary frame');
        p = JSON.parse((raw as Buffer).toString()) as typeof p;
      } catch {
        return ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      }
      switch (p.op) {
        case GatewayOpcodes.Heartbeat:
          session?.heartbeats.push({ at: Date.now(), seq: typeof p.d === 'number' ? p.d : null });
          return send({ op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
        case GatewayOpcodes.Identify: {
          if (session) return ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          const d = p.d as GatewayIdentifyData;
          if (d?.token !== this.opts.token) return ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
          if (d.intents & PRIVILEGED & ~this.opts.privilegedIntents) return ws.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
          session = { sessionId: randomBytes(16).toString('hex'), intents: d.intents, shard: d.shard ?? [0, 1], identifiedAt: Date.now(), state: 'open', seq: 0, heartbeats: [], resumes: 0 };
          this.sessions.push(session);
          this.sockets.set(session, ws);
          this.sent.set(session, []);
          return this.identified(session);
        }
        case GatewayOpcodes.Resume: {
          const d = p.d as GatewayResumeData;
          if (d?.token !== this.opts.token) return ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
          const old = this.sessions.find((s) => s.sessionId === d.session_id && s.state !== 'ended');
          if (session || !old) return send({ op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
          session = old;
          const previous = this.sockets.get(old);
          this.sockets.set(old, ws); // before the old socket goes, so its close does not end the session
          previous?.terminate();
          old.state = 'open';
          old.resumes += 1;
          for (const missed of this.sent.get(old) ?? []) if (missed.s > d.seq) ws.send(JSON.stringify(missed));
          return this.dispatchTo(old, GatewayDispatchEvents.Resumed, { _trace: ['["statetrace-sim",{}]'] });
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          if (!session) ws.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
          return;
        default:
          return ws.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
    ws.on('close', (code) => {
      if (!session || this.sockets.get(session) !== ws) return;
      this.sockets.delete(session);
      session.closeCode = code;
      // A client that closes normally (discord.js's destroy()) ends its session; anything else may resume.
      session.state = code === 1000 || code === 1001 ? 'ended' : 'resumable';
    });
  }

  private identified(session: GatewaySession): void {
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: { ...this.opts.user, verified: true, mfa_enabled: false, flags: 0 as UserFlags, email: null },
      guilds: this.opts.guildIds().map((id) => ({ id, unavailable: true })),
      session_id: session.sessionId,
      resume_gateway_url: this.opts.url(),
      shard: session.shard,
      application: this.opts.application,
    };
    this.dispatchTo(session, GatewayDispatchEvents.Ready, ready);
    if (!(session.intents & GatewayIntentBits.Guilds)) return;
    for (const id of this.opts.guildIds()) this.dispatchTo(session, GatewayDispatchEvents.GuildCreate, this.opts.guildCreate(id, session.intents));
  }
}
