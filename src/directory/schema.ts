import { isIP } from 'node:net';
import { z } from 'zod';
import { WEBHOOK_SUBSCRIPTION_ID, WEBHOOK_TARGET_HINT } from '../models/webhook-subscription';

/**
 * The routes.yaml format (README "Route directory" documents it with an example). Objects
 * are strict so a misspelt key is an error rather than a silently ignored setting.
 */

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const id = () =>
  z.string().regex(ID_PATTERN, 'must be 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');
const ip = () => z.string().refine((s) => isIP(s) !== 0, 'not an IP address');
const cidr = () =>
  z.string().refine((s) => {
    const [addr, len, ...rest] = s.split('/');
    const bits = isIP(addr ?? '') === 4 ? 32 : isIP(addr ?? '') === 6 ? 128 : 0;
    return bits > 0 && rest.length === 0 && len !== undefined && /^\d+$/.test(len) && Number(len) <= bits;
  }, 'not an IP prefix such as 198.18.0.0/24');
const envVarName = () => z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');
const seconds = () => z.number().int().min(0).max(7 * 24 * 3600);
const score = () => z.number().min(0).max(100);

export const thresholdsSchema = z.strictObject({
  latencyMs: z.number().positive(),
  lossPct: z.number().positive().max(100),
  jitterMs: z.number().positive(),
});

export const routeClassSchema = z.strictObject({
  id: id(),
  description: z.string().optional(),
  thresholds: thresholdsSchema,
  telemetrySlaSec: z.number().int().min(1).max(86_400).default(30),
  debounce: z
    .strictObject({
      failuresToSuspect: z.number().int().min(1).max(100).default(1),
      failuresToDown: z.number().int().min(1).max(100).default(3),
      recoveriesToUp: z.number().int().min(1).max(100).default(3),
      graceSec: seconds().default(10),
    })
    .default({ failuresToSuspect: 1, failuresToDown: 3, recoveriesToUp: 3, graceSec: 10 }),
  flapping: z
    .strictObject({ transitions: z.number().int().min(2).max(1000).default(4), windowSec: seconds().default(300) })
    .default({ transitions: 4, windowSec: 300 }),
  /** Confirmation probes before paging; each field left out is derived (route-class-confirmation.ts). */
  confirm: z
    .strictObject({ attempts: z.number().int().min(0).max(10).optional(), intervalMs: z.number().int().min(0).max(60_000).optional() })
    .optional(),
});

/** Why a webhook target that is not a subscription id is refused, and what to write instead. */
function webhookTargetProblem(target: string): string | undefined {
  if (WEBHOOK_SUBSCRIPTION_ID.test(target)) return undefined;
  return `${/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? 'a URL' : `"${target.slice(0, 60)}"`} is not a webhook subscription id; ${WEBHOOK_TARGET_HINT}`;
}

/** An escalation level's recipient; a webhook is a subscription (signed deliveries), never a URL. */
const notifyTarget = () =>
  z
    .string()
    .regex(/^(team|slack|discord|webhook):\S+$/, 'must look like team:<id>, slack:<id>, discord:<id> or webhook:<subscription id>')
    .superRefine((target, ctx) => {
      const problem = /^webhook:\S+$/.test(target) ? webhookTargetProblem(target.slice('webhook:'.length)) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const chatTargets = z.strictObject({
  slack: z.array(z.string().min(1)).default([]),
  discord: z.array(z.string().min(1)).default([]),
});

export const teamSchema = z.strictObject({
  id: id(),
  name: z.string().min(1),
  contact: z.string().min(1),
  /** Chat user ids (Slack U…/W…, Discord snowflakes) invited to incident channels. */
  oncall: chatTargets.default({ slack: [], discord: [] }),
  /** Where this team's alerts go. */
  notify: z
    .array(
      z
        .strictObject({
          platform: z.enum(['slack', 'discord', 'webhook', 'console']),
          /** A channel or user id; for webhook, a subscription id. */
          target: z.string().min(1),
          minSeverity: z.enum(['critical', 'major', 'warning', 'info']).default('warning'),
        })
        .superRefine((n, ctx) => {
          const problem = n.platform === 'webhook' ? webhookTargetProblem(n.target) : undefined;
          if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['target'] });
        }),
    )
    .default([]),
});

export const dependencySchema = z.strictObject({
  id: id(),
  kind: z.enum(['router', 'switch', 'firewall', 'isp', 'circuit', 'site', 'service', 'other']),
  description: z.string().optional(),
});

export const escalationPolicySchema = z.strictObject({
  id: id(),
  levels: z
    .array(
      z.strictObject({
        afterSec: seconds(),
        /** `team:<id>`, `slack:<channel or user>`, `discord:<channel or user>`, `webhook:<subscription id>` */
        notify: z.array(notifyTarget()).min(1),
      }),
    )
    .min(1)
    .refine((levels) => levels.every((l, i) => i === 0 || l.afterSec > levels[i - 1]!.afterSec), 'afterSec must increase from level to level'),
  /** How many more times the last level repeats while nobody acknowledges. */
  repeat: z.number().int().min(0).max(100).default(0),
  repeatEverySec: z.number().int().min(30).max(86_400).default(900),
});

const executorSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('command'),
    /** argv rendered with handlebars per element and run without a shell; free text (route.name) cannot be rendered into it. */
    argv: z
      .array(z.string().min(1))
      .min(1)
      .refine((argv) => !argv.some((t) => /\{\{[^}]*\b(route\.name|description)\b/.test(t)), 'free text (route.name, descriptions) cannot be rendered into argv: use route.id'),
    /** Variables passed to the command besides PATH and LANG (it gets no other of the worker's). */
    env: z.array(envVarName()).max(20).default([]),
    timeoutSec: z.number().int().min(1).max(600).default(30),
  }),
  z.strictObject({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    secretEnv: envVarName(),
    timeoutSec: z.number().int().min(1).max(600).default(10),
  }),
  z.strictObject({
    kind: z.literal('snmp-set'),
    agent: ip(),
    port: z.number().int().min(1).max(65535).default(161),
    communityEnv: envVarName(),
    oid: z.string().regex(/^\.?\d+(\.\d+)+$/, 'not a numeric OID'),
    type: z.enum(['Integer', 'OctetString', 'IpAddress', 'Gauge', 'Unsigned32']),
    /** handlebars template of the value, e.g. the backup path's ifIndex. */
    value: z.string().min(1),
  }),
]);

export const failoverPolicySchema = z
  .strictObject({
    id: id(),
    mode: z.enum(['automatic', 'manual']),
    failoverThreshold: score(),
    failbackThreshold: score(),
    failbackDelaySec: seconds(),
    failbackMode: z.enum(['automatic', 'approval']).default('automatic'),
    executor: executorSchema,
  })
  .refine((p) => p.failbackThreshold >= p.failoverThreshold, {
    message: 'failbackThreshold must be at least failoverThreshold (hysteresis)',
    path: ['failbackThreshold'],
  });

/** A Linux interface name (IFNAMSIZ, no "/", ":" or blanks); never a leading "-", which ping would read as an option. */
const interfaceName = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,14}$/, 'not an interface name (1-15 letters, digits, "_", ".", "@", "+" or "-")')
    .refine((s) => isIP(s) === 0, 'is an address; a source address goes in `source`');

const icmpProbe = z
  .strictObject({
    kind: z.enum(['icmp', 'icmp-batch']),
    target: ip(),
    count: z.number().int().min(1).max(100).default(5),
    intervalMs: z.number().int().min(10).max(10_000).default(200),
    timeoutMs: z.number().int().min(100).max(60_000).default(2000),
    /** Send from this interface of the probing host (SO_BINDTODEVICE: ping -I <name>, fping -I <name>). */
    interface: interfaceName().optional(),
    /** Send from this local address (ping -I <address>, fping -S <address>). */
    source: ip().optional(),
  })
  .refine((p) => p.interface === undefined || p.source === undefined, {
    message: 'give interface or source, not both (ping binds to one of them)',
    path: ['source'],
  })
  // Judged only between two addresses; a malformed one has its own problem already.
  .refine((p) => p.source === undefined || isIP(p.source) === 0 || isIP(p.target) === 0 || isIP(p.source) === isIP(p.target), {
    message: 'source and target must be of the same IP version',
    path: ['source'],
  });

const snmpCheck = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ifOperStatus'), ifIndex: z.number().int().min(1).optional(), ifName: z.string().min(1).optional() }).refine(
    (c) => (c.ifIndex === undefined) !== (c.ifName === undefined),
    'give exactly one of ifIndex or ifName',
  ),
  z.strictObject({ type: z.literal('bgpPeerState'), peer: ip() }),
  z.strictObject({ type: z.literal('oid'), oid: z.string().regex(/^\.?\d+(\.\d+)+$/, 'not a numeric OID'), expect: z.union([z.string(), z.number()]) }),
]);

const snmpProbe = z
  .strictObject({
    kind: z.literal('snmp'),
    agent: ip(),
    port: z.number().int().min(1).max(65535).default(161),
    version: z.enum(['2c', '3']).default('2c'),
    community: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).optional(),
    authKeyEnv: envVarName().optional(),
    privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).optional(),
    privKeyEnv: envVarName().optional(),
    timeoutMs: z.number().int().min(100).max(60_000).default(2000),
    check: snmpCheck,
  })
  .refine((p) => p.version !== '3' || (p.user && p.authProtocol && p.authKeyEnv && p.privProtocol && p.privKeyEnv), {
    message: 'SNMPv3 needs user, authProtocol, authKeyEnv, privProtocol and privKeyEnv (authPriv)',
    path: ['version'],
  });

export const probeSchema = z.discriminatedUnion('kind', [icmpProbe, snmpProbe]);

const pathSchema = z.strictObject({
  id: id(),
  role: z.enum(['primary', 'backup']),
  nextHop: ip(),
  interface: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Probe that measures this path when it is not the one in use (backup verification). */
  probe: probeSchema.optional(),
});

const maintenanceWindowSchema = z
  .strictObject({ start: z.iso.datetime({ offset: true }), end: z.iso.datetime({ offset: true }), reason: z.string().min(1) })
  .refine((w) => Date.parse(w.end) > Date.parse(w.start), { message: 'end must be after start', path: ['end'] });

export const routeSchema = z.strictObject({
  id: id(),
  name: z.string().min(1),
  description: z.string().optional(),
  environment: z.string().min(1),
  primary: z.boolean(),
  class: id(),
  destination: cidr().optional(),
  intervalSec: z.number().int().min(1).max(3600).default(10),
  probes: z.array(probeSchema).min(1, 'at least one probe is needed to watch a route'),
  paths: z
    .array(pathSchema)
    .min(1)
    .refine((ps) => ps.filter((p) => p.role === 'primary').length === 1, 'exactly one path must have role primary'),
  dependencies: z.array(id()).default([]),
  owner: z.strictObject({ team: id(), contact: z.string().min(1).optional() }),
  customerIds: z.array(z.string().min(1)).default([]),
  maintenance: z.array(maintenanceWindowSchema).default([]),
  runbooks: z.array(id()).default([]),
  failoverPolicy: id().optional(),
  escalationPolicy: id().optional(),
});

export const routeFileSchema = z.strictObject({
  version: z.literal(1, 'only version 1 exists'),
  classes: z.array(routeClassSchema).min(1),
  teams: z.array(teamSchema).min(1),
  dependencies: z.array(dependencySchema).default([]),
  escalationPolicies: z.array(escalationPolicySchema).default([]),
  failoverPolicies: z.array(failoverPolicySchema).default([]),
  routes: z.array(routeSchema).default([]),
});

export type RouteFile = z.infer<typeof routeFileSchema>;
export type RouteSpec = z.infer<typeof routeSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
