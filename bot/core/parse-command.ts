/**
 * The operator's command language, shared by Slack (`/statetrace …`) and Discord: text in,
 * a typed command or a short, specific help reply out. Pure: no I/O, never throws.
 */

export type Command =
  | { name: 'help'; topic?: string }
  | { name: 'status'; route?: string }
  | { name: 'routes'; filter?: string }
  | { name: 'incident'; incidentId?: string }
  | { name: 'ack'; incidentId?: string }
  | { name: 'failover'; route?: string; backup?: string }
  | { name: 'failback'; route?: string }
  | { name: 'resolve'; note?: string }
  | { name: 'maint'; route: string; durationSec: number; reason?: string }
  | { name: 'history'; route: string; rangeSec: number }
  | { name: 'oncall'; team?: string }
  | { name: 'packet'; incidentId?: string };

export type ParseResult = { ok: true; command: Command } | { ok: false; reply: string };

/** Each command's usage: `<required>` and `[optional]` words in order (Discord builds its slash-command options from these). */
export const USAGE: Record<Command['name'], string> = {
  help: 'help [command]',
  status: 'status [route|all]',
  routes: 'routes [filter]',
  incident: 'incident [incident-id]',
  ack: 'ack [incident-id]',
  failover: 'failover [route] [backup-path]',
  failback: 'failback [route]',
  resolve: 'resolve [note]',
  maint: 'maint <route> <duration, e.g. 2h or 90m> [reason]',
  history: 'history <route> [range, e.g. 24h or 7d]',
  oncall: 'oncall [team]',
  packet: 'packet [incident-id]',
};
const NAMES = Object.keys(USAGE) as Command['name'][];
const MAX_TEXT = 1000;
/** The longest maintenance window a chat command may open (longer ones belong in routes.yaml). */
export const MAINTENANCE_LIMIT_SEC = 7 * 86_400;
const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const INCIDENT_ID = /^inc-[a-z0-9._:-]{1,120}$/;

export function helpText(topic?: string): string {
  if (topic && (NAMES as string[]).includes(topic)) return `usage: ${USAGE[topic as Command['name']]}`;
  return `commands: ${NAMES.map((n) => USAGE[n]).join(' · ')}`;
}

/** Seconds from `90s`, `30m`, `2h`, `1h30m`, `7d`; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/.exec(text.toLowerCase());
  if (!m || text === '' || !m.slice(1).some(Boolean)) return undefined;
  const [d, h, min, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number];
  return d * 86_400 + h * 3600 + min * 60 + s;
}

const refuse = (reply: string): ParseResult => ({ ok: false, reply });
const usage = (name: Command['name'], problem: string): ParseResult => refuse(`${problem} — usage: ${USAGE[name]}`);

function optionalId(name: Command['name'], value: string | undefined, pattern: RegExp, what: string): string | undefined | ParseResult {
  if (value === undefined) return undefined;
  return pattern.test(value) ? value : usage(name, `"${clip(value)}" is not ${what}`);
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

export function parseCommand(raw: unknown): ParseResult {
  if (typeof raw !== 'string') return refuse(helpText());
  if (raw.length > MAX_TEXT) return refuse(`that is ${raw.length} characters; commands are at most ${MAX_TEXT}. ${helpText()}`);
  // Control characters and odd whitespace are read as spaces; chat clients insert them.
  const words = raw.replace(/[\p{Cc}\p{Zs}]+/gu, ' ').trim().split(' ').filter(Boolean);
  const [verb, ...rest] = words;
  if (!verb) return { ok: true, command: { name: 'help' } };
  const name = verb.toLowerCase() as Command['name'];
  if (!NAMES.includes(name)) return refuse(`unknown command "${clip(verb)}". ${helpText()}`);
  const restText = rest.join(' ');

  switch (name) {
    case 'help':
      return { ok: true, command: { name, topic: rest[0]?.toLowerCase() } };
    case 'resolve':
      return { ok: true, command: { name, note: restText || undefined } };
    case 'routes':
      return rest.length > 1 ? usage(name, 'one filter word at most') : { ok: true, command: { name, filter: rest[0] } };
    case 'status':
    case 'failback':
    case 'oncall': {
      if (rest.length > 1) return usage(name, 'too many words');
      if (rest[0] === 'all' && name === 'status') return { ok: true, command: { name } };
      const id = optionalId(name, rest[0]?.toLowerCase(), ID, name === 'oncall' ? 'a team id' : 'a route id');
      if (typeof id === 'object') return id;
      return { ok: true, command: name === 'oncall' ? { name, team: id } : { name, route: id } };
    }
    case 'incident':
    case 'ack':
    case 'packet': {
      if (rest.length > 1) return usage(name, 'too many words');
      const id = optionalId(name, rest[0]?.toLowerCase(), INCIDENT_ID, 'an incident id (inc-…)');
      return typeof id === 'object' ? id : { ok: true, command: { name, incidentId: id } };
    }
    case 'failover': {
      if (rest.length > 2) return usage(name, 'too many words');
      const route = optionalId(name, rest[0]?.toLowerCase(), ID, 'a route id');
      if (typeof route === 'object') return route;
      const backup = optionalId(name, rest[1]?.toLowerCase(), ID, 'a path id');
      return typeof backup === 'object' ? backup : { ok: true, command: { name, route, backup } };
    }
    case 'maint': {
      const [route, duration, ...why] = rest;
      if (!route || !duration) return usage(name, 'route and duration are needed');
      if (!ID.test(route.toLowerCase())) return usage(name, `"${clip(route)}" is not a route id`);
      const durationSec = parseDuration(duration);
      if (durationSec === undefined || durationSec < 60 || durationSec > MAINTENANCE_LIMIT_SEC) return usage(name, `"${clip(duration)}" is not a duration between 1m and 7d`);
      return { ok: true, command: { name, route: route.toLowerCase(), durationSec, reason: why.join(' ') || undefined } };
    }
    case 'history': {
      const [route, range, ...extra] = rest;
      if (!route) return usage(name, 'which route?');
      if (extra.length > 0) return usage(name, 'too many words');
      if (!ID.test(route.toLowerCase())) return usage(name, `"${clip(route)}" is not a route id`);
      const rangeSec = range === undefined ? 86_400 : parseDuration(range);
      if (rangeSec === undefined || rangeSec < 60 || rangeSec > 366 * 86_400) return usage(name, `"${clip(range ?? '')}" is not a range between 1m and 366d`);
      return { ok: true, command: { name, route: route.toLowerCase(), rangeSec } };
    }
  }
}
