/** Slack mrkdwn text helpers: escaping, dates, safe truncation (durations and lists: bot/core/incident-presentation). */

/** Escapes the three characters Slack parses in mrkdwn (`&`, `<`, `>`): no mentions or links from user text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack date tokens: rendered in each reader's time zone; the fallback (UTC) shows in notifications. */
export type DateStyle = 'ago' | 'time' | 'datetime';
const TOKENS: Record<DateStyle, string> = { ago: '{ago}', time: '{time}', datetime: '{date_short_pretty} at {time}' };

export function slackDate(iso: string, style: DateStyle): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(date.getTime() / 1000)}^${TOKENS[style]}|${plainDate(iso, style)}>`;
}

/** The UTC text of a date for plain text: `10:42 UTC` (time) or `2026-11-25 10:42 UTC`. */
export function plainDate(iso: string, style: DateStyle = 'datetime'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const [day, time] = date.toISOString().split('T') as [string, string];
  return style === 'time' ? `${time.slice(0, 5)} UTC` : `${day} ${time.slice(0, 5)} UTC`;
}


/**
 * Shortens mrkdwn text to at most max characters (UTF-16 units, which Slack never counts
 * as more), ending in `…`, without cutting a link, mention, date token, entity or emoji.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = dropHalfSurrogate(text.slice(0, Math.max(0, max - 1)));
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  cut = cut.replace(/&[a-z]{0,3}$/, '');
  return `${cut}…`;
}

/** Shortens plain text to at most max characters, ending in `…`. */
export function truncatePlain(text: string, max: number): string {
  return text.length <= max ? text : `${dropHalfSurrogate(text.slice(0, Math.max(0, max - 1)))}…`;
}

function dropHalfSurrogate(text: string): string {
  return /[\uD800-\uDBFF]$/.test(text) ? text.slice(0, -1) : text;
}
