import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * What Slack sends to an app: slash commands and block actions, as payload objects (the shape
 * Socket Mode carries in an envelope) and as signed HTTP requests (the shape Bolt's HTTP
 * receiver verifies), built from one definition so both transports see the same thing.
 */

/** A request as Slack would POST it: the exact body that was signed and the headers to send. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export interface SlashCommandOptions {
  /** Default '/statetrace'. */
  command?: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  teamDomain?: string;
  responseUrl: string;
  triggerId?: string;
  apiAppId?: string;
}

export interface BlockActionOptions {
  actionId: string;
  value: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  messageTs: string;
  messageText?: string;
  messageBlocks?: unknown[];
  blockId?: string;
  teamId?: string;
  teamDomain?: string;
  responseUrl: string;
  triggerId?: string;
  apiAppId?: string;
}

/** For signing: the app's signing secret and (to test staleness) the request's Unix time. */
export interface Signing {
  signingSecret: string;
  timestampSec?: number;
}

/** The deprecated verification token Slack still puts in every payload. */
const VERIFICATION_TOKEN = 'simVerificationToken0000';
const APP_ID = 'A0SIM';
const TEAM = { id: 'T0SIM', domain: 'sim' };

/** Like Slack's: `<ms>.<team number>.<hex>`. */
const newTriggerId = () => `${Date.now()}.${parseInt(randomBytes(4).toString('hex'), 16)}.${randomBytes(16).toString('hex')}`;
/** A Slack timestamp for now: seconds with six decimals. */
const nowTs = () => (Date.now() / 1000).toFixed(6);

/**
 * Slack's request signing (v0): `v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`, sent as
 * X-Slack-Signature with X-Slack-Request-Timestamp.
 */
export function slackSignatureHeaders(body: string, signingSecret: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestampSec), 'x-slack-signature': signature };
}

/**
 * The payloads themselves. A slash command is a flat record of strings in Slack's field order
 * (form fields over HTTP; the same record, as JSON, in a Socket Mode `slash_commands` envelope).
 */
export const slackPayloads = {
  slashCommandPayload(o: SlashCommandOptions): Record<string, string> {
    return {
      token: VERIFICATION_TOKEN,
      team_id: o.teamId ?? TEAM.id,
      team_domain: o.teamDomain ?? TEAM.domain,
      channel_id: o.channelId,
      channel_name: o.channelName ?? (o.channelId.startsWith('D') ? 'directmessage' : 'incidents'),
      user_id: o.userId,
      user_name: o.userName ?? o.userId.toLowerCase(),
      command: o.command ?? '/statetrace',
      text: o.text,
      api_app_id: o.apiAppId ?? APP_ID,
      is_enterprise_install: 'false',
      response_url: o.responseUrl,
      trigger_id: o.triggerId ?? newTriggerId(),
    };
  },

  /** A button click in a message (an `interactive` envelope in Socket Mode). */
  blockActionPayload(o: BlockActionOptions): Record<string, unknown> {
    const teamId = o.teamId ?? TEAM.id;
    const userName = o.userName ?? o.userId.toLowerCase();
    return {
      type: 'block_actions',
      user: { id: o.userId, username: userName, name: userName, team_id: teamId },
      api_app_id: o.apiAppId ?? APP_ID,
      token: VERIFICATION_TOKEN,
      container: { type: 'message', message_ts: o.messageTs, channel_id: o.channelId, is_ephemeral: false },
      trigger_id: o.triggerId ?? newTriggerId(),
      team: { id: teamId, domain: o.teamDomain ?? TEAM.domain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: o.channelId, name: o.channelName ?? 'incidents' },
      message: { type: 'message', ts: o.messageTs, text: o.messageText ?? '', user: 'U0BOT', bot_id: 'B0BOT', blocks: o.messageBlocks ?? [] },
      state: { values: {} },
      response_url: o.responseUrl,
      actions: [
        {
          action_id: o.actionId,
          block_id: o.blockId ?? 'actions',
          text: { type: 'plain_text', text: o.value, emoji: true },
          value: o.value,
          type: 'button',
          action_ts: nowTs(),
        },
      ],
    };
  },
};

/** A form body signed with `signingSecret`, with the headers Slack sends alongside it. */
export function signedFormRequest(fields: Record<string, string>, s: Signing): SignedRequest {
  const body = new URLSearchParams(fields).toString();
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...slackSignatureHeaders(body, s.signingSecret, s.timestampSec),
    },
  };
}

/** A slash command as Slack POSTs it to the app's request URL. */
export function slashCommandRequest(o: SlashCommandOptions & Signing): SignedRequest {
  return signedFormRequest(slackPayloads.slashCommandPayload(o), o);
}

/** A button click as Slack POSTs it: one form field, `payload`, holding the JSON. */
export function blockActionRequest(o: BlockActionOptions & Signing): SignedRequest {
  return signedFormRequest({ payload: JSON.stringify(slackPayloads.blockActionPayload(o)) }, o);
}

/** POSTs a signed request; the status, the response body and how long the app took to answer. */
export async function postSigned(url: string, req: SignedRequest): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}
