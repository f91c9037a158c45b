import { createHash } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The HTTP side of the Discord simulator: Discord's REST API v10 under `/api/v10` with its
 * JSON error bodies (`{message, code}`), the bot token checked (`Authorization: Bot …`) except
 * where the path carries an interaction's token, request bodies read as @discordjs/rest sends
 * them (JSON, or multipart/form-data with `payload_json` and `files[n]`), every call recorded,
 * and failures injected on demand.
 */

/** A refused request, answered as Discord does: `{message, code}` (+ `errors` for 50035). */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors && { errors: this.errors }) };
  }
}

/** Discord's JSON error codes the simulator answers with. */
export const unauthorized = () => new DiscordApiError(401, 0, '401: Unauthorized');
export const notFound = () => new DiscordApiError(404, 0, '404: Not Found');
export const unknownChannel = () => new DiscordApiError(404, 10003, 'Unknown Channel');
export const unknownGuild = () => new DiscordApiError(404, 10004, 'Unknown Guild');
export const unknownMember = () => new DiscordApiError(404, 10007, 'Unknown Member');
export const unknownMessage = () => new DiscordApiError(404, 10008, 'Unknown Message');
export const unknownWebhook = () => new DiscordApiError(404, 10015, 'Unknown Webhook');
export const unknownInteraction = () => new DiscordApiError(404, 10062, 'Unknown interaction');
export const alreadyAcknowledged = () => new DiscordApiError(400, 40060, 'Interaction has already been acknowledged.');
export const missingAccess = () => new DiscordApiError(403, 50001, 'Missing Access');
export const missingPermissions = () => new DiscordApiError(403, 50013, 'Missing Permissions');

/** A file part of a multipart request. */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A request's body: parsed JSON (or multipart's `payload_json`) and any uploaded files. */
export async function readBody(req: IncomingMessage): Promise<{ body: unknown; files: UploadedFile[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [] };
  const json = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new DiscordApiError(400, 50109, 'The request body contains invalid JSON.');
    }
  };
  if (!type.startsWith('multipart/form-data')) return { body: json(raw.toString()), files: [] };
  // undici's multipart parser (Node's fetch) reads the form as @discordjs/rest's FormData wrote it.
  const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
  const files: UploadedFile[] = [];
  let body: unknown;
  for (const [field, value] of form) {
    if (typeof value === 'string') {
      if (field === 'payload_json') body = json(value);
    } else {
      files.push({ field, filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { body, files };
}

/** How `failNext` fails a call: a 429 with Discord's body and headers, a bare 5xx, or any Discord error. */
export type Failure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503 | 504 } | { status: 400 | 401 | 403 | 404; code: number; message: string };

export interface RestCall {
  method: string;
  /** The path under /api/v10, e.g. `/channels/123/messages`. */
  path: string;
  /** The route it matched, e.g. `/channels/:channel/messages` (the path itself if none did). */
  route: string;
  query: Record<string, string>;
  /** The JSON body (multipart's `payload_json`). */
  body: unknown;
  /** Uploaded files' names. */
  files: string[];
  status: number;
  at: number;
}

export interface RestRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  files: UploadedFile[];
}

/** A handler's answer: no body is 204 No Content. */
export interface RestResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: RestRequest) => RestResult;

export class RestApi {
  readonly calls: RestCall[] = [];
  private readonly failures: { pattern: string | RegExp; failure: Failure }[] = [];
  private readonly routes: { method: string; route: string; segments: string[]; handler: Handler }[];

  /** `handlers` by `'METHOD /route/:param'`, in matching order (the first that matches answers). */
  constructor(
    handlers: Record<string, Handler>,
    private readonly botToken: string,
  ) {
    this.routes = Object.entries(handlers).map(([key, handler]) => {
      const [method = '', route = ''] = key.split(' ');
      return { method, route, segments: route.split('/'), handler };
    });
  }

  /** Calls whose route is `pattern` (`'/channels/:channel/messages'`, optionally after a method: `'POST /…'`), or whose `METHOD path` it matches. */
  callsTo(pattern: string | RegExp): RestCall[] {
    return this.calls.filter((c) => matches(pattern, c));
  }

  /** The next `times` calls matching `pattern` (as in `callsTo`) fail this way, after authentication. */
  failNext(pattern: string | RegExp, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ pattern, failure });
  }

  /** Forgets the calls and any failures not yet served. */
  reset(): void {
    this.calls.length = 0;
    this.failures.length = 0;
  }

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v10(?=\/)/, '');
    const match = url.pathname === path ? undefined : this.match(method, path);
    const call: RestCall = { method, path, route: match?.route ?? path, query: Object.fromEntries(url.searchParams), body: undefined, files: [], status: 0, at: Date.now() };
    this.calls.push(call);
    let result: RestResult;
    try {
      const { body, files } = await readBody(req);
      call.body = body;
      call.files = files.map((f) => f.filename);
      if (!match) throw notFound();
      // Interaction responses and webhooks are authorized by the token in their path, not a bot token.
      const tokenInPath = match.route.startsWith('/interactions/') || match.route.startsWith('/webhooks/');
      if (!tokenInPath && req.headers.authorization !== `Bot ${this.botToken}`) throw unauthorized();
      const index = this.failures.findIndex((f) => matches(f.pattern, call));
      const failure = index >= 0 ? this.failures.splice(index, 1)[0] : undefined;
      result = failure ? failed(failure.failure, method, match.route) : match.handler({ params: match.params, query: url.searchParams, body: (body ?? {}) as Record<string, unknown>, files });
    } catch (err) {
      // A simulator bug shows as a 500 that names it, rather than a hung request.
      const e = err instanceof DiscordApiError ? err : new DiscordApiError(500, 0, `500: Internal Server Error (simulator: ${String(err)})`);
      result = { status: e.status, body: e.body() };
    }
    call.status = result.status ?? (result.body === undefined ? 204 : 200);
    // Discord sends its rate-limit headers with every answer on a route.
    const headers = { ...(match && rateLimitHeaders(method, match.route, 4, 1)), ...result.headers };
    if (result.body === undefined) {
      res.writeHead(call.status, headers).end();
    } else {
      res.writeHead(call.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(result.body));
    }
  }

  private match(method: string, path: string): { route: string; params: Record<string, string>; handler: Handler } | undefined {
    // Segments are compared decoded, as Discord does (`/users/%40me` is `/users/@me`).
    const parts = path.split('/').map(decodeSegment);
    for (const r of this.routes) {
      if (r.method !== method || r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (r.segments.every((s, i) => (s.startsWith(':') ? Boolean((params[s.slice(1)] = parts[i] ?? '')) : s === parts[i]))) {
        return { route: r.route, params, handler: r.handler };
      }
    }
    return undefined;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes match nothing but themselves
  }
}

function matches(pattern: string | RegExp, call: RestCall): boolean {
  if (pattern instanceof RegExp) return pattern.test(`${call.method} ${call.path}`);
  return pattern === call.route || pattern === `${call.method} ${call.route}`;
}

/**
 * The rate-limit headers Discord sends with every answer, which @discordjs/rest keeps per bucket:
 * a bucket per method and route, never exhausted here but by an injected 429.
 */
function rateLimitHeaders(method: string, route: string, remaining: number, resetAfterSec: number): Record<string, string> {
  return {
    'x-ratelimit-bucket': createHash('sha1').update(`${method} ${route}`).digest('hex').slice(0, 32),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': (Date.now() / 1000 + resetAfterSec).toFixed(3),
    'x-ratelimit-reset-after': resetAfterSec.toFixed(3),
  };
}

/** An injected failure as Discord sends it: 429 with its body and rate-limit headers, a 5xx, or an error code. */
function failed(f: Failure, method: string, route: string): RestResult {
  if (f.status === 429) {
    return {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: f.retryAfterSec, global: false },
      // Retry-After in whole seconds; the body and X-RateLimit-Reset-After to the millisecond.
      headers: { ...rateLimitHeaders(method, route, 0, f.retryAfterSec), 'retry-after': String(Math.ceil(f.retryAfterSec)), 'x-ratelimit-scope': 'user' },
    };
  }
  if ('code' in f) return { status: f.status, body: { message: f.message, code: f.code } };
  return { status: f.status, body: { message: `${f.status}: ${STATUS_CODES[f.status] ?? ''}`, code: 0 } };
}
