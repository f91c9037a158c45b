import type { APIEmbed } from 'discord.js';
import { customIds, DISCORD_LIMITS, parseCustomId, renderAlert, renderChecklist, renderResolution, renderTimelineLine, replyContent } from '../../../bot/discord/render/render-discord';
import { ID, makeView, route } from '../../fixtures/incident-view';

/** Discord's timestamp markup of an ISO time. */
const t = (iso: string, style: string) => `<t:${Date.parse(iso) / 1000}:${style}>`;
const labels = (m: ReturnType<typeof renderAlert>) => m.components.flatMap((r) => r.components.map((b) => ('label' in b ? b.label : undefined)));
const embedSize = (e: APIEmbed) => (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);

function expectWithinDiscordLimits(m: ReturnType<typeof renderAlert>): void {
  expect((m.content ?? '').length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  for (const e of m.embeds) {
    expect(embedSize(e)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    expect((e.title ?? '').length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect((e.fields ?? []).length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of e.fields ?? []) expect([f.name.length <= DISCORD_LIMITS.fieldName, f.value.length <= DISCORD_LIMITS.fieldValue, f.value.length > 0]).toEqual([true, true, true]);
  }
  expect(m.components.length).toBeLessThanOrEqual(DISCORD_LIMITS.rows);
  for (const row of m.components) {
    expect(row.components.length).toBeLessThanOrEqual(DISCORD_LIMITS.buttonsPerRow);
    for (const b of row.components) if ('custom_id' in b) expect(b.custom_id.length).toBeLessThanOrEqual(DISCORD_LIMITS.customId);
  }
}

describe('Discord alert', () => {
  it('shows severity, state, routes, impact, runbooks, and the buttons an open incident needs', () => {
    const m = renderAlert(makeView());
    const e = m.embeds[0]!;
    expect(e.title).toBe(`🔴 CRITICAL · ${ID} · Open`);
    expect(e.fields!.map((f) => f.name)).toEqual(['Severity', 'State', 'Detected', 'Routes (2)', 'Impact', 'Current signals', 'Owner', 'Check first', 'Runbooks']);
    expect(e.fields!.find((f) => f.name === 'Routes (2)')!.value).toContain('🔴 **Route 1** down · score 12 · 230.3 ms latency · 35% loss · 8 ms jitter');
    expect(e.fields!.find((f) => f.name === 'Runbooks')!.value).toBe('[Link down](https://wiki.example.com/runbooks/link-down.md) · High loss');
    expect(e.fields!.find((f) => f.name === 'Impact')!.value).toContain('3 customers (identifiers in the incident channel)');
    expect(e.fields!.find((f) => f.name === 'Detected')!.value).toBe(`${t('2026-11-25T10:00:00Z', 'f')} (${t('2026-11-25T10:00:00Z', 'R')})`);
    expect(labels(m)).toEqual(['Acknowledge', 'Fail over', 'Resolve', 'Checklist']);
    expect(m.components[0]!.components.map((b) => ('custom_id' in b ? b.custom_id : ''))).toEqual([`st:ack:${ID}`, `st:failover:${ID}`, `st:resolve:${ID}`, `st:checklist:${ID}`]);
    expect(m.allowed_mentions).toEqual({ parse: [] });
    expectWithinDiscordLimits(m);
  });

  it('mentions the on-call role only when asked, and lets only that role ping', () => {
    const m = renderAlert(makeView(), { mentionRoleId: '200000000000000001' });
    expect(m.content).toBe('<@&200000000000000001> [CRITICAL] inc-20261125-r1-7f3a core-rtr-1 down (2 routes)');
    expect(m.allowed_mentions).toEqual({ parse: [], roles: ['200000000000000001'] });
  });

  it('drops Acknowledge once acknowledged, Fail over once failed over, every action once resolved', () => {
    expect(labels(renderAlert(makeView({ state: 'acknowledged', acknowledgedBy: 'alice', acknowledgedAt: '2026-11-25T10:02:00Z' })))).toEqual(['Fail over', 'Resolve', 'Checklist']);
    expect(labels(renderAlert(makeView({ state: 'failed_over', acknowledgedBy: 'alice' })))).toEqual(['Resolve', 'Checklist']);
    const resolved = renderAlert(makeView({ state: 'resolved', resolvedAt: '2026-11-25T10:30:00Z', mttrSec: 1800 }));
    expect(labels(resolved)).toEqual(['Checklist']);
    expect(resolved.embeds[0]!.color).toBe(0x2e7d32);
    expect(resolved.embeds[0]!.description).toContain(`✅ Resolved ${t('2026-11-25T10:30:00Z', 'R')} · time to resolve 30m 00s`);
  });

  it('escapes markdown and mentions in user text, and stays within every limit with 10 routes of huge names', () => {
    const hostile = '**bold** @everyone <@123> `code` _x_ ||spoiler|| '.repeat(30);
    const view = makeView({ routes: Array.from({ length: 10 }, (_, i) => route(i, { name: hostile })), routeCount: 400, trigger: hostile, customers: Array.from({ length: 300 }, (_, i) => `CUST-${i}`), customerCount: 300, recommendedChecks: [hostile, hostile] });
    const m = renderAlert(view);
    expectWithinDiscordLimits(m);
    const text = JSON.stringify(m.embeds);
    expect(text).not.toContain('**bold** @everyone');
    expect(text).toContain('\\\\*\\\\*bold\\\\*\\\\*');
    expect(m.embeds[0]!.fields!.find((f) => f.name === 'Routes (400)')!.value).toContain('_and 395 more routes_');
    expect(m.allowed_mentions.parse).toEqual([]);
  });
});

describe('Discord checklist, timeline line and resolution', () => {
  const checklist = {
    incidentId: ID,
    runbook: { id: 'link-down', title: 'Link down', url: 'https://wiki.example.com/runbooks/link-down.md' },
    tasks: [
      { id: `${ID}:link-down:confirm-scope`, text: 'Confirm the scope', done: true, doneBy: 'alice', doneAt: '2026-11-25T10:05:00Z' },
      { id: `${ID}:link-down:check-optics`, text: 'Check the optics', done: false },
    ],
  };

  it('lists every item, who did the done ones, and a Done button per open item naming runbook and item', () => {
    const m = renderChecklist(checklist);
    expect(m.embeds[0]!.title).toBe('Checklist: Link down (1 of 2 done)');
    expect(m.embeds[0]!.description).toBe(`✅ ~~Confirm the scope~~ — alice ${t('2026-11-25T10:05:00Z', 'R')}\n⬜ Check the optics`);
    expect(m.components[0]!.components).toEqual([expect.objectContaining({ label: 'Done: Check the optics', custom_id: 'st:done:link-down:check-optics' })]);
  });

  it('a timeline line and the resolution summary', () => {
    expect(renderTimelineLine({ kind: 'acknowledged', text: 'looking *now*', at: '2026-11-25T10:02:00Z', actor: 'alice' }).content).toBe(`${t('2026-11-25T10:02:00Z', 'T')} ✋ **acknowledged** (alice): looking \\*now\\*`);
    const r = renderResolution(makeView({ state: 'resolved', acknowledgedBy: 'alice', acknowledgedAt: '2026-11-25T10:01:30Z', resolvedAt: '2026-11-25T10:25:00Z', summary: 'optic replaced' }));
    expect(r.embeds[0]!.fields!.map((f) => [f.name, f.value])).toEqual([
      ['Time to acknowledge', '1m 30s'],
      ['Time to resolve', '25m 00s'],
      ['Acknowledged by', 'alice'],
      ['Routes (2)', 'Route 1, Route 2'],
    ]);
    expect(r.embeds[0]!.description).toBe('**core-rtr-1**\noptic replaced');
  });
});

describe('button ids and replies', () => {
  it('round-trips every custom id and rejects anything else', () => {
    const long = 'inc-20261125-core-rtr-1-with-a-very-long-name-of-40-chars-7f3a';
    for (const kind of ['ack', 'failover', 'resolve', 'checklist'] as const) {
      const id = customIds[kind](long);
      expect(id.length).toBeLessThanOrEqual(DISCORD_LIMITS.customId);
      expect(parseCustomId(id)).toEqual({ kind, incidentId: long });
    }
    expect(parseCustomId(customIds.done('link-down', 'check-optics'))).toEqual({ kind: 'done', runbookId: 'link-down', itemId: 'check-optics' });
    for (const junk of ['', 'st', 'st:ack', 'st:ack:', 'st:delete:inc-1', 'xx:ack:inc-1', 'st:done:only-one', 'st:done:a:b:c']) expect(parseCustomId(junk)).toBeUndefined();
  });

  it('turns the core’s Slack-style bold into Discord’s', () => {
    expect(replyContent('*r1* Frankfurt (prod) · *inc-1* open')).toBe('**r1** Frankfurt (prod) · **inc-1** open');
    expect(replyContent('2 * 3 * 4')).toBe('2 * 3 * 4');
    expect(replyContent('x'.repeat(5000)).length).toBe(DISCORD_LIMITS.content);
  });
});
