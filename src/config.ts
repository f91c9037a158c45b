import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { WORKFLOW_ID_PREFIX, WORKFLOW_ID_PREFIX_RULE } from './temporal/workflow-ids';
import { DEFAULT_CONFIRM_INTERVAL_MS, type Confirmation } from './directory/route-class-confirmation';
import type { TrapUser } from './signals/trap-receiver';
import { outboundPolicy, type OutboundPolicy } from './net/outbound';

/** The repository root (from src/ or dist/src/): data and tools folders default to it. */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin', 'statetrace.js'))) return dir;
  }
  throw new Error(`cannot find the StateTrace project root above ${from}`);
}

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const port = z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional());
/** Discord ids are snowflakes: 17 to 20 digits. */
const SNOWFLAKE = /^\d{17,20}$/;
const discordId = z.preprocess(emptyToUndefined, z.string().regex(SNOWFLAKE, 'a Discord id (17-20 digits)').optional());
const bool = (dflt: boolean) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? dflt : v),
    z.union([z.boolean(), z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((s) => ['1', 'true', 'yes'].includes(s))]),
  );

/**
 * Every environment variable StateTrace reads, with its default. README's configuration
 * table documents the same list.
 */
const envSchema = z.object({
  STATETRACE_DATA_DIR: optionalString,
  STATETRACE_TOOLS_DIR: optionalString,
  STATETRACE_ROUTES_FILE: z.string().optional(),
  STATETRACE_HTTP_HOST: z.string().default('127.0.0.1'),
  STATETRACE_HTTP_PORT: port.default(8080),
  STATETRACE_ROUTES_MAX_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('statetrace'),
  STATETRACE_WORKFLOW_ID_PREFIX: z.string().refine((s) => s === '' || WORKFLOW_ID_PREFIX.test(s), WORKFLOW_ID_PREFIX_RULE).default(''),
  TEMPORAL_TLS: bool(false),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  STATETRACE_TEMPORAL_PORT: port,
  STATETRACE_TEMPORAL_UI_PORT: port,

  MONGODB_URI: optionalString,
  STATETRACE_FERRETDB_PORT: port,

  STATETRACE_SWEEP_SHARDS: z.coerce.number().int().min(1).max(1024).default(1),
  STATETRACE_SWEEP_OWN_SHARDS: z.preprocess(emptyToUndefined, z.string().regex(/^\d+(,\d+)*$/, 'a comma-separated list of shard numbers').optional()),
  STATETRACE_SWEEP_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  STATETRACE_API_BODY_LIMIT: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  STATETRACE_API_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(600),
  STATETRACE_API_ADDRESS_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(3000),
  STATETRACE_API_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(20),
  STATETRACE_METRICS_PORT: port.default(0),
  STATETRACE_METRICS_TOKEN: optionalString,
  // At most the notifier activity's 8 attempts (workflows/activities.ts): the last webhook attempt must happen while Temporal still retries.
  STATETRACE_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(8).default(6),
  STATETRACE_OUTBOUND_ALLOW: z.string().default(''),
  STATETRACE_SERIES_FLUSH_SEC: z.coerce.number().int().min(1).max(300).default(30),
  STATETRACE_TRAP_PORT: port.default(10162),
  STATETRACE_TRAP_ADDRESS: z.string().default('127.0.0.1'),
  // No default community: traps are accepted only from senders configured here.
  STATETRACE_TRAP_COMMUNITIES: z.string().default(''),
  STATETRACE_TRAP_V3_USERS: z.string().default(''),
  STATETRACE_TRAP_RELAYS: z.string().default(''),
  STATETRACE_TRAP_RATE: z.coerce.number().int().min(1).max(100_000).default(20),
  STATETRACE_SIGNAL_TOKENS: optionalString,
  STATETRACE_SIGNAL_MAX_AGE_SEC: z.coerce.number().int().min(60).max(7 * 86_400).default(900),

  // Overrides for every route class's `confirm` (unset: each class's own, see route-class-confirmation.ts).
  STATETRACE_CONFIRM_ATTEMPTS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(10).optional()),
  STATETRACE_CONFIRM_INTERVAL_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(60_000).optional()),
  STATETRACE_RESOLVE_STABLE_SEC: z.coerce.number().int().min(0).max(86_400).default(120),
  STATETRACE_FAILBACK_CHECK_SEC: z.coerce.number().int().min(1).max(3600).default(5),

  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_SOCKET_MODE: z.preprocess(emptyToUndefined, bool(false).optional()),
  SLACK_API_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://slack.com/api/')),
  STATETRACE_SLACK_PORT: port.default(3000),
  STATETRACE_SLACK_HOST: z.string().default('0.0.0.0'),
  SLACK_ROLES: optionalString,
  SLACK_DEFAULT_ROLE: z.enum(['none', 'viewer', 'responder', 'admin']).default('viewer'),
  SLACK_ARCHIVE_AFTER_SEC: z.coerce.number().int().min(0).max(90 * 86_400).default(86_400),
  SLACK_PRIVATE_INCIDENT_CHANNELS: bool(true),
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: discordId,
  DISCORD_GUILD_ID: discordId,
  DISCORD_API_URL: z.preprocess(emptyToUndefined, z.string().url().default('https://discord.com/api')),
  DISCORD_INCIDENT_CATEGORY_ID: discordId,
  DISCORD_ARCHIVE_CATEGORY_ID: discordId,
  DISCORD_ONCALL_ROLE_ID: discordId,
  DISCORD_ROLES: optionalString,
  DISCORD_DEFAULT_ROLE: z.enum(['none', 'viewer', 'responder', 'admin']).default('viewer'),
  STATETRACE_RUNBOOK_BASE_URL: optionalString,

  STATETRACE_CHROMIUM: z.string().default('/usr/bin/chromium'),
  STATETRACE_PDF_USER: z.string().min(1).default('nobody'),
  STATETRACE_PACKETS_PER_HOUR: z.coerce.number().int().min(1).max(60).default(6),
  STATETRACE_DIGEST_AT: z.preprocess((v) => (v === undefined ? '08:00' : v), z.union([z.literal(''), z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (UTC)')])),
  STATETRACE_DIGEST_TARGET: z.string().default('console:digest'),
  STATETRACE_RETENTION_RAW_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  STATETRACE_RETENTION_ROLLUP_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
});

export interface TemporalTls {
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  serverName?: string;
}

export interface Config {
  dataDir: string;
  toolsDir: string;
  /** Route file imported when `start` boots; undefined means none. */
  routesFile?: string;
  routesMaxBytes: number;
  http: { host: string; port: number };
  logLevel: string;
  temporal: {
    /** Set: use this cluster and start no embedded server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    /** Before every workflow id this deployment makes (`site-a:outage:<route>`); empty: none. */
    workflowIdPrefix: string;
    tls?: TemporalTls;
    apiKey?: string;
    /** Embedded dev server ports; undefined: prefer the default, else any free port. */
    embeddedPort?: number;
    embeddedUiPort?: number;
  };
  mongo: {
    /** Set: use this database and start no embedded FerretDB. */
    uri?: string;
    embeddedPort?: number;
  };
  sweeper: {
    shardCount: number;
    /** The shards this process sweeps. */
    ownShards: number[];
    tickMs: number;
    /** How often the per-minute series sums are written (what a crash of the sweeper can lose of them). */
    seriesFlushMs: number;
  };
  /** REST API: largest request body (bytes), requests per minute per token (0: unlimited). */
  /** Per minute: requests per verified token, requests per client address before authentication, failed authentications per address. */
  api: { bodyLimit: number; rateLimitPerMinute: number; addressRateLimitPerMinute: number; authFailuresPerMinute: number };
  /** /metrics: the metrics-only listener's port in processes without the API (0: none); the bearer token scrapes need, if any. */
  metrics: { port: number; token?: string };
  /** Outbound webhooks: attempts per delivery before it is dead-lettered. */
  webhooks: { maxAttempts: number };
  /** Where webhook subscriptions and webhook executors may send: public addresses and STATETRACE_OUTBOUND_ALLOW's ranges. */
  outbound: OutboundPolicy;
  /** SNMP trap receiver; port 0, or no community and no v3 user, turns it off. */
  traps: { port: number; address: string; communities: string[]; users: TrapUser[]; relays: string[]; ratePerSec: number };
  /** Bearer tokens accepted by POST /api/v1/signals, by name. */
  signalTokens: { name: string; token: string }[];
  /** The oldest `at` POST /api/v1/signals accepts, in seconds before now. */
  signalMaxAgeSec: number;
  /** Timing of the outage workflow (passed to each new outage); `confirm` only when set here, overriding the route classes'. */
  outage: { confirm?: Confirmation; stableForMs: number; failbackCheckMs: number };
  /** Slack; undefined when SLACK_BOT_TOKEN is not set (alerts then go to the console). */
  slack?: SlackConfig;
  /** Discord; undefined when DISCORD_BOT_TOKEN is not set. */
  discord?: DiscordConfig;
  /** Where runbooks are browsable (e.g. the repository's runbooks/ folder); alerts link `<base>/<id>.md`. */
  runbookBaseUrl?: string;
  /** The system Chromium incident packets are printed with. */
  chromiumPath: string;
  /** The user Chromium runs as, sandboxed, when StateTrace runs as root. */
  pdfUser: string;
  /** Packets printed on demand per incident and hour; more requests get the stored one. */
  packetsPerHour: number;
  /** The daily digest: time of day (UTC) and where it goes (`slack:<channel>` or `console:<name>`); at undefined: off. */
  digest: { at?: string; target: string };
  /** Raw snapshots are kept this many days (once rolled up); hourly and daily rollups this many. */
  retention: { rawDays: number; rollupDays: number };
}

export type Role = 'none' | 'viewer' | 'responder' | 'admin';

export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  /** Socket Mode: an app-level token (xapp-…) and no public HTTP endpoint. */
  appToken?: string;
  socketMode: boolean;
  apiUrl: string;
  http: { host: string; port: number };
  /** Slack user ids (U…/W…) and user group ids (S…) → role; the highest matching role wins. */
  roles: { subject: string; role: Exclude<Role, 'none'> }[];
  defaultRole: Role;
  archiveAfterSec: number;
  privateChannels: boolean;
}

export interface DiscordConfig {
  botToken: string;
  applicationId: string;
  guildId: string;
  /** REST base without the version (discord.js adds /v10); the gateway URL comes from GET /gateway/bot. */
  apiUrl: string;
  /** Incident channels are created in this category (none: at the top of the guild). */
  incidentCategoryId?: string;
  /** Resolved incident channels are locked and moved here (none: locked in place). */
  archiveCategoryId?: string;
  /** Mentioned in every alert of an incident channel. */
  oncallRoleId?: string;
  /** Discord user ids and role ids → role; the highest matching role wins. */
  roles: { subject: string; role: Exclude<Role, 'none'> }[];
  defaultRole: Role;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const fromRoot = (p: string) => path.resolve(PROJECT_ROOT, p);
  const tlsWanted = e.TEMPORAL_TLS || Boolean(e.TEMPORAL_TLS_CERT || e.TEMPORAL_TLS_CA || e.TEMPORAL_API_KEY);
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    throw new ConfigError('invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  }
  return {
    dataDir: fromRoot(e.STATETRACE_DATA_DIR ?? '.data'),
    toolsDir: fromRoot(e.STATETRACE_TOOLS_DIR ?? '.tools'),
    routesFile:
      e.STATETRACE_ROUTES_FILE === undefined
        ? fromRoot('config/routes.example.yaml')
        : e.STATETRACE_ROUTES_FILE === ''
          ? undefined
          : path.resolve(e.STATETRACE_ROUTES_FILE),
    routesMaxBytes: e.STATETRACE_ROUTES_MAX_BYTES,
    http: { host: e.STATETRACE_HTTP_HOST, port: e.STATETRACE_HTTP_PORT },
    logLevel: e.LOG_LEVEL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      workflowIdPrefix: e.STATETRACE_WORKFLOW_ID_PREFIX,
      tls: tlsWanted
        ? {
            certPath: e.TEMPORAL_TLS_CERT,
            keyPath: e.TEMPORAL_TLS_KEY,
            caPath: e.TEMPORAL_TLS_CA,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      embeddedPort: e.STATETRACE_TEMPORAL_PORT,
      embeddedUiPort: e.STATETRACE_TEMPORAL_UI_PORT,
    },
    mongo: { uri: e.MONGODB_URI, embeddedPort: e.STATETRACE_FERRETDB_PORT },
    sweeper: { shardCount: e.STATETRACE_SWEEP_SHARDS, ownShards: ownShards(e.STATETRACE_SWEEP_OWN_SHARDS, e.STATETRACE_SWEEP_SHARDS), tickMs: e.STATETRACE_SWEEP_TICK_MS, seriesFlushMs: e.STATETRACE_SERIES_FLUSH_SEC * 1000 },
    traps: {
      port: e.STATETRACE_TRAP_PORT,
      address: e.STATETRACE_TRAP_ADDRESS,
      communities: list(e.STATETRACE_TRAP_COMMUNITIES),
      users: list(e.STATETRACE_TRAP_V3_USERS).map(parseTrapUser),
      relays: list(e.STATETRACE_TRAP_RELAYS).map(parseAddress('STATETRACE_TRAP_RELAYS')),
      ratePerSec: e.STATETRACE_TRAP_RATE,
    },
    signalTokens: parseSignalTokens(e.STATETRACE_SIGNAL_TOKENS),
    signalMaxAgeSec: e.STATETRACE_SIGNAL_MAX_AGE_SEC,
    outage: {
      confirm: confirmOverride(e.STATETRACE_CONFIRM_ATTEMPTS, e.STATETRACE_CONFIRM_INTERVAL_MS),
      stableForMs: e.STATETRACE_RESOLVE_STABLE_SEC * 1000,
      failbackCheckMs: e.STATETRACE_FAILBACK_CHECK_SEC * 1000,
    },
    api: {
      bodyLimit: e.STATETRACE_API_BODY_LIMIT,
      rateLimitPerMinute: e.STATETRACE_API_RATE_LIMIT,
      addressRateLimitPerMinute: e.STATETRACE_API_ADDRESS_RATE_LIMIT,
      authFailuresPerMinute: e.STATETRACE_API_AUTH_FAILURE_LIMIT,
    },
    metrics: { port: e.STATETRACE_METRICS_PORT, token: e.STATETRACE_METRICS_TOKEN },
    webhooks: { maxAttempts: e.STATETRACE_WEBHOOK_MAX_ATTEMPTS },
    outbound: outboundAllow(e.STATETRACE_OUTBOUND_ALLOW),
    slack: slackConfig(e),
    discord: discordConfig(e),
    runbookBaseUrl: e.STATETRACE_RUNBOOK_BASE_URL?.replace(/\/+$/, ''),
    chromiumPath: e.STATETRACE_CHROMIUM,
    pdfUser: e.STATETRACE_PDF_USER,
    packetsPerHour: e.STATETRACE_PACKETS_PER_HOUR,
    digest: { at: e.STATETRACE_DIGEST_AT || undefined, target: e.STATETRACE_DIGEST_TARGET },
    retention: { rawDays: e.STATETRACE_RETENTION_RAW_DAYS, rollupDays: e.STATETRACE_RETENTION_ROLLUP_DAYS },
  };
}

function outboundAllow(spec: string): OutboundPolicy {
  try {
    return outboundPolicy(spec);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
}

const list = (v: string): string[] => v.split(',').map((c) => c.trim()).filter(Boolean);

const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;

/** `name:auth-protocol:auth-key[:priv-protocol:priv-key]` (keys of at least 8 characters, as SNMPv3 requires). */
function parseTrapUser(spec: string): TrapUser {
  const [name, auth, authKey, priv, privKey, ...rest] = spec.split(':');
  const bad = (why: string) => new ConfigError(`invalid configuration: STATETRACE_TRAP_V3_USERS entry for "${name ?? ''}": ${why} (name:auth-protocol:auth-key[:priv-protocol:priv-key])`);
  if (!name || rest.length > 0 || (priv === undefined) !== (privKey === undefined)) throw bad('wrong number of fields');
  const authProtocol = AUTH_PROTOCOLS.find((p) => p === auth?.toLowerCase());
  if (!authProtocol) throw bad(`auth protocol must be one of ${AUTH_PROTOCOLS.join(', ')}`);
  if (!authKey || authKey.length < 8) throw bad('the auth key needs at least 8 characters');
  if (priv === undefined) return { name, authProtocol, authKey };
  const privProtocol = PRIV_PROTOCOLS.find((p) => p === priv.toLowerCase());
  if (!privProtocol) throw bad(`privacy protocol must be one of ${PRIV_PROTOCOLS.join(', ')}`);
  if (!privKey || privKey.length < 8) throw bad('the privacy key needs at least 8 characters');
  return { name, authProtocol, authKey, privProtocol, privKey };
}

const parseAddress = (variable: string) => (address: string): string => {
  if (!isIP(address)) throw new ConfigError(`invalid configuration: ${variable}: "${address}" is not an IP address`);
  return address;
};

function slackConfig(e: z.infer<typeof envSchema>): SlackConfig | undefined {
  if (!e.SLACK_BOT_TOKEN) return undefined;
  const socketMode = e.SLACK_SOCKET_MODE ?? Boolean(e.SLACK_APP_TOKEN);
  if (socketMode && !e.SLACK_APP_TOKEN) throw new ConfigError('invalid configuration: Slack Socket Mode needs SLACK_APP_TOKEN (xapp-…)');
  if (!socketMode && !e.SLACK_SIGNING_SECRET) throw new ConfigError('invalid configuration: Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)');
  return {
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    socketMode,
    apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
    http: { host: e.STATETRACE_SLACK_HOST, port: e.STATETRACE_SLACK_PORT },
    roles: parseRoles('SLACK_ROLES', e.SLACK_ROLES, /^[UWS][A-Z0-9]{2,}$/, 'Slack user or group id'),
    defaultRole: e.SLACK_DEFAULT_ROLE,
    archiveAfterSec: e.SLACK_ARCHIVE_AFTER_SEC,
    privateChannels: e.SLACK_PRIVATE_INCIDENT_CHANNELS,
  };
}

function discordConfig(e: z.infer<typeof envSchema>): DiscordConfig | undefined {
  if (!e.DISCORD_BOT_TOKEN) return undefined;
  if (!e.DISCORD_APPLICATION_ID || !e.DISCORD_GUILD_ID) throw new ConfigError('invalid configuration: Discord needs DISCORD_APPLICATION_ID and DISCORD_GUILD_ID with DISCORD_BOT_TOKEN');
  return {
    botToken: e.DISCORD_BOT_TOKEN,
    applicationId: e.DISCORD_APPLICATION_ID,
    guildId: e.DISCORD_GUILD_ID,
    apiUrl: e.DISCORD_API_URL.replace(/\/+$/, ''),
    incidentCategoryId: e.DISCORD_INCIDENT_CATEGORY_ID,
    archiveCategoryId: e.DISCORD_ARCHIVE_CATEGORY_ID,
    oncallRoleId: e.DISCORD_ONCALL_ROLE_ID,
    roles: parseRoles('DISCORD_ROLES', e.DISCORD_ROLES, SNOWFLAKE, 'Discord user or role id'),
    defaultRole: e.DISCORD_DEFAULT_ROLE,
  };
}

/** `U0ALICE=admin,S0NETOPS=responder` (Slack) or `123…=admin` (Discord): subject ids with their roles. */
function parseRoles(name: string, raw: string | undefined, subjectPattern: RegExp, what: string): SlackConfig['roles'] {
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const [subject = '', role = ''] = entry.split('=').map((s) => s.trim());
    if (!subjectPattern.test(subject) || !['viewer', 'responder', 'admin'].includes(role)) {
      throw new ConfigError(`invalid configuration: ${name} entry "${entry}" is not <${what}>=viewer|responder|admin`);
    }
    return { subject, role: role as Exclude<Role, 'none'> };
  });
}

/** The confirmation every outage uses instead of its route class's, if the environment sets one. */
function confirmOverride(attempts: number | undefined, intervalMs: number | undefined): Confirmation | undefined {
  if (attempts === undefined) {
    if (intervalMs !== undefined) {
      throw new ConfigError('invalid configuration: STATETRACE_CONFIRM_INTERVAL_MS is set without STATETRACE_CONFIRM_ATTEMPTS; set both to override every route class, or neither to use each class\'s `confirm`');
    }
    return undefined;
  }
  return { attempts, intervalMs: intervalMs ?? DEFAULT_CONFIRM_INTERVAL_MS };
}

function ownShards(list: string | undefined, count: number): number[] {
  if (list === undefined) return Array.from({ length: count }, (_, i) => i);
  const shards = [...new Set(list.split(',').map(Number))];
  const bad = shards.filter((s) => s >= count);
  if (bad.length > 0) throw new ConfigError(`invalid configuration: STATETRACE_SWEEP_OWN_SHARDS names shard(s) ${bad.join(', ')}, but STATETRACE_SWEEP_SHARDS is ${count}`);
  return shards;
}

/** `name=token,name2=token2`; a token alone is named by its position. */
function parseSignalTokens(raw: string | undefined): { name: string; token: string }[] {
  if (!raw) return [];
  return raw.split(',').map((entry, i) => {
    const eq = entry.indexOf('=');
    const [name, token] = eq > 0 ? [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()] : [`token${i + 1}`, entry.trim()];
    if (token.length < 16) throw new ConfigError(`invalid configuration: STATETRACE_SIGNAL_TOKENS: token "${name}" is shorter than 16 characters`);
    return { name, token };
  });
}
