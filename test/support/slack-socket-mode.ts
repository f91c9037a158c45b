import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Slack's Socket Mode server side, for the simulator: `apps.connections.open` hands out a
 * one-time `ws://…/link/?ticket=…&app_id=…` URL; a client that connects with it gets Slack's
 * `hello`, then envelopes the test sends, which the client acknowledges with
 * `{envelope_id, payload?}`. Client pings are answered with pongs (ws does that), which
 * @slack/socket-mode's client requires to keep the connection.
 */
export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketEnvelope {
  envelope_id: string;
  type: SocketEnvelopeType;
  payload: object;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

/** An envelope sent, and the client's acknowledgement once it came (`acked`). */
export interface SocketEnvelopeRecord {
  envelope: SocketEnvelope;
  acked: boolean;
  ackPayload?: unknown;
}

export interface SocketModeServer {
  envelopes: SocketEnvelopeRecord[];
  /** A new one-time WebSocket URL, as `apps.connections.open` returns it. */
  openUrl(): string;
  send(type: SocketEnvelopeType, payload: object, opts?: { timeoutMs?: number }): Promise<unknown>;
  connections(): number;
  /** Slack's "reconnect now" message to every open connection. */
  disconnectAll(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  close(): Promise<void>;
}

interface Pending {
  record: SocketEnvelopeRecord;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function attachSocketMode(server: Server, opts: { appId: string }): SocketModeServer {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const sockets: WebSocket[] = []; // in connection order; Slack sends to any one, we use the newest
  const pending = new Map<string, Pending>();
  const envelopes: SocketEnvelopeRecord[] = [];
  const open = () => sockets.filter((s) => s.readyState === s.OPEN);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('close', () => {
        const i = sockets.indexOf(ws);
        if (i >= 0) sockets.splice(i, 1);
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let msg: { envelope_id?: unknown; payload?: unknown };
        try {
          const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString();
          msg = JSON.parse(text) as typeof msg;
        } catch {
          return;
        }
        const p = typeof msg.envelope_id === 'string' ? pending.get(msg.envelope_id) : undefined;
        if (!p) return;
        pending.delete(p.record.envelope.envelope_id);
        clearTimeout(p.timer);
        p.record.acked = true;
        p.record.ackPayload = msg.payload;
        p.resolve(msg.payload);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: open().length,
          debug_info: { host: 'sim', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: opts.appId },
        }),
      );
    });
  });

  return {
    envelopes,
    openUrl() {
      const ticket = randomBytes(16).toString('hex');
      tickets.add(ticket);
      const { port } = server.address() as { port: number };
      return `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${opts.appId}`;
    },
    send(type, payload, { timeoutMs = 5_000 } = {}) {
      const ws = open().at(-1);
      if (!ws) return Promise.reject(new Error(`no Socket Mode connection to send a ${type} envelope to`));
      const envelope: SocketEnvelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' };
      const record: SocketEnvelopeRecord = { envelope, acked: false };
      envelopes.push(record);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(envelope.envelope_id);
          reject(new Error(`no ack for ${type} envelope ${envelope.envelope_id} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(envelope.envelope_id, { record, resolve, reject, timer });
        ws.send(JSON.stringify(envelope));
      });
    },
    connections: () => open().length,
    disconnectAll(reason = 'refresh_requested') {
      for (const ws of open()) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'sim' } }));
    },
    async close() {
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error('Slack simulator closed'));
      }
      pending.clear();
      tickets.clear();
      // A closing handshake first, so a client sees a normal close (1001: going away) …
      await Promise.all(
        [...sockets].map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) return resolve();
              const force = setTimeout(() => ws.terminate(), 500);
              ws.once('close', () => {
                clearTimeout(force);
                resolve();
              });
              ws.close(1001, 'server shutting down');
            }),
        ),
      );
      // … then nothing is left to keep the process alive.
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
