import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ID, makeView, route } from '../../fixtures/incident-view';
import { fitSlackLimits, SLACK_LIMITS, type SlackBlock } from '../../../bot/slack/render/slack-limits';
import { ACTION_IDS, renderAlert, renderChecklist, renderResolution, renderTimelineLine } from '../../../bot/slack/render/render-slack';
import { renderBlocks } from '../../../bot/slack/render/templates';
import { truncateMrkdwn } from '../../../bot/slack/render/mrkdwn';

// Block Kit JSON, read loosely by the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const byType = (blocks: SlackBlock[], type: string) => blocks.filter((b) => b.type === type) as Json[];
const actions = (blocks: SlackBlock[]) => byType(blocks, 'actions')[0]?.elements as Json[] | undefined;
const actionIds = (blocks: SlackBlock[]) => (actions(blocks) ?? []).map((e): unknown => e.action_id);
/** Every mrkdwn/plain text in the message, in order. */
function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(texts);
  if (typeof value !== 'object' || value === null) return [];
  const obj = value as Json;
  const own = (obj.type === 'mrkdwn' || obj.type === 'plain_text') && typeof obj.text === 'string' ? [obj.text] : [];
  return [...own, ...Object.values(obj).flatMap(texts)];
}
const allText = (blocks: SlackBlock[]) => texts(blocks).join('\n');

/** Fails unless blocks respect Slack's limits and survive a JSON round trip. */
function expectWithinSlackLimits(blocks: SlackBlock[]): void {
  expect(JSON.parse(JSON.stringify(blocks))).toEqual(blocks);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const block of blocks as Json[]) {
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'section') {
      expect(block.text || block.fields).toBeTruthy();
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((block.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    }
    if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    for (const el of [...(block.type === 'actions' ? block.elements : []), ...(block.accessory ? [block.accessory] : [])]) {
      expect(el.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
      expect(el.value.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
    }
  }
  // User text can never open a link or mention: the only `<…>` are our date tokens and links.
  for (const text of texts(blocks)) {
    for (const token of text.match(/<[^>]*>?/g) ?? []) expect(token).toMatch(/^<(!date\^\d+\^[^|<>]+\|[^<>]*|https:\/\/[^|<>]+\|[^<>]*)>$/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

describe('renderAlert', () => {
  it('renders a typical alert: header, fields, impact, signals, checks, runbooks and buttons', () => {
    const { text, blocks } = renderAlert(makeView());
    expect(text).toBe(`[CRITICAL] ${ID} core-rtr-1 down (2 routes)`);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', emoji: true, text: `🔴 CRITICAL · ${ID} · Open` } });
    const fields = (byType(blocks, 'section')[0]!.fields as Json[]).map((f) => f.text as string);
    expect(fields[0]).toBe('*Severity*\n🔴 Critical');
    expect(fields[1]).toBe('*State*\nOpen');
    expect(fields[2]).toBe(
      '*Routes (2)*\n🔴 *Route 1* down · score 12 · 230.3 ms latency · 35% loss · 8 ms jitter · last healthy <!date^1795600740^{ago}|2026-11-25 09:59 UTC>\n' +
        '🟠 *Route 2* degraded · score 12 · 230.3 ms latency · 35% loss · 8 ms jitter · last healthy <!date^1795600740^{ago}|2026-11-25 09:59 UTC>',
    );
    expect(fields[3]).toBe('*Trigger*\nprimary down: icmp 100% loss');
    expect(fields).toContain('*Owner*\ncore-net');
    const body = allText(blocks);
    expect(body).toContain('*Dependencies:* core-rtr-1, isp-a\n*Downstream routes (not affected yet):* r3, r4\n*Customers:* 3 customers (identifiers in the incident channel)');
    expect(body).toContain('*Current signals*\n🔴 *Route 1* (`r1`): icmp down (100% loss), snmp-trap down (linkDown ifIndex 3)\n🟠 *Route 2* (`r2`): no signals reported');
    expect(body).toContain('*Recommended checks*\n• Check the interface state\n• Check the optics');
    expect(body).toContain('*Runbooks*\n📘 <https://wiki.example.com/runbooks/link-down.md|Link down>\n📘 High loss');
    expect(body).not.toContain('Acknowledged');
    expectWithinSlackLimits(blocks);
  });

  it('has Acknowledge, Fail over (with a confirm dialog), Resolve and Checklist buttons carrying the incident id', () => {
    const { blocks } = renderAlert(makeView());
    const buttons = actions(blocks)!;
    expect(blocks[blocks.length - 1]!.type).toBe('actions');
    expect(buttons.map((b): unknown[] => [b.action_id, b.text.text, b.style, b.value])).toEqual([
      ['incident_ack', 'Acknowledge', 'primary', ID],
      ['incident_failover', 'Fail over', 'danger', ID],
      ['incident_resolve', 'Resolve', undefined, ID],
      ['incident_checklist', 'Checklist', undefined, ID],
    ]);
    expect(buttons.map((b) => b.action_id as string)).toEqual([ACTION_IDS.ack, ACTION_IDS.failover, ACTION_IDS.resolve, ACTION_IDS.checklist]);
    expect(buttons[1]!.confirm).toEqual({
      title: { type: 'plain_text', text: 'Fail over?' },
      text: { type: 'plain_text', text: `Move the traffic of 2 routes in ${ID} to the backup path. StateTrace verifies the backup after switching.` },
      confirm: { type: 'plain_text', text: 'Fail over' },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: 'danger',
    });
  });

  it('once acknowledged: says who, and drops the Acknowledge button', () => {
    const { text, blocks } = renderAlert(makeView({ state: 'acknowledged', acknowledgedAt: '2026-11-25T10:03:00Z', acknowledgedBy: 'alice (slack)' }));
    expect(text).toBe(`[CRITICAL] ${ID} core-rtr-1 down (2 routes) — acknowledged by alice (slack)`);
    expect(actionIds(blocks)).toEqual(['incident_failover', 'incident_resolve', 'incident_checklist']);
    expect(byType(blocks, 'context')[0]!.elements).toEqual([{ type: 'mrkdwn', text: '✋ Acknowledged by *alice (slack)* <!date^1795600980^{ago}|2026-11-25 10:03 UTC>' }]);
  });

  it('once failed over: shows it and the backup path, without a second Fail over button', () => {
    const view = makeView({ state: 'failed_over', acknowledgedAt: '2026-11-25T10:03:00Z', failedOverAt: '2026-11-25T10:04:00Z', routes: [route(1, { activePath: 'standby' })], routeCount: 1 });
    const { text, blocks } = renderAlert(view);
    expect(text).toBe(`[CRITICAL] ${ID} core-rtr-1 down — failed over — acknowledged`);
    expect(actionIds(blocks)).toEqual(['incident_resolve', 'incident_checklist']);
    expect(allText(blocks)).toContain('🔀 Failed over <!date^1795601040^{ago}|2026-11-25 10:04 UTC>');
    expect(allText(blocks)).toContain('🔴 *Route 1* (`r1`) · on backup path `standby`: icmp down');
    expect(allText(blocks)).toContain('*Route*\n🔴 *Route 1* down');
  });

  it('once resolved: only the Checklist button, or no actions at all without runbooks', () => {
    const resolved = makeView({ state: 'resolved', acknowledgedAt: '2026-11-25T10:03:00Z', resolvedAt: '2026-11-25T10:30:00Z', mttrSec: 1800 });
    const { text, blocks } = renderAlert(resolved);
    expect(text).toBe(`[CRITICAL] ${ID} core-rtr-1 (2 routes) resolved`);
    expect(blocks[0]!.text).toMatchObject({ text: `🔴 CRITICAL · ${ID} · Resolved` });
    expect(actionIds(blocks)).toEqual(['incident_checklist']);
    expect(allText(blocks)).toContain('✅ Resolved <!date^1795602600^{ago}|2026-11-25 10:30 UTC> · time to resolve 30m 00s');
    expect(byType(renderAlert({ ...resolved, runbooks: [] }).blocks, 'actions')).toEqual([]);
    expect(actionIds(renderAlert({ ...resolved, state: 'closed_transient' }).blocks)).toEqual(['incident_checklist']);
  });

  it('lists customer identifiers only when the view carries them', () => {
    const { blocks } = renderAlert(makeView({ customers: ['ACME-0001', 'GLOBEX-7'], customerCount: 2 }));
    expect(allText(blocks)).toContain('*Customers (2):* ACME-0001, GLOBEX-7');
    expect(allText(renderAlert(makeView({ customerCount: 1 })).blocks)).toContain('*Customers:* 1 customer (identifiers in the incident channel)');
    expect(allText(renderAlert(makeView({ customerCount: 0 })).blocks)).toContain('*Customers:* 0 customers\n');
  });

  it('escapes &, < and > in user text so nothing becomes a mention or link', () => {
    const view = makeView({ dependency: 'rtr <!channel> & co', trigger: '<@U123> said x > y', routes: [route(1, { name: '<https://evil.example|click>' })], routeCount: 1 });
    const { text, blocks } = renderAlert(view);
    expect(text).toBe(`[CRITICAL] ${ID} rtr &lt;!channel&gt; &amp; co down`);
    expect(allText(blocks)).toContain('*Trigger*\n&lt;@U123&gt; said x &gt; y');
    expect(allText(blocks)).toContain('*&lt;https://evil.example|click&gt;*');
    expectWithinSlackLimits(blocks);
  });

  it('stays within Slack limits for a huge incident (500 routes and customers with <&> characters)', () => {
    const evil = (i: number) => `<!here> A&B <Corp> #${i} ${'x'.repeat(300)}`;
    const routes = Array.from({ length: 500 }, (_, i) =>
      route(i, { name: evil(i), signals: Array.from({ length: 30 }, (__, j) => ({ kind: `probe-${j}`, status: 'down', detail: evil(j) })) }),
    );
    const view = makeView({
      routes,
      routeCount: 500,
      trigger: evil(0).repeat(20),
      dependencies: Array.from({ length: 500 }, (_, i) => `dep-${i}<&>`),
      downstreamRoutes: Array.from({ length: 500 }, (_, i) => `down-${i}<&>`),
      customers: Array.from({ length: 500 }, (_, i) => `CUST-${i}<&>`),
      customerCount: 500,
      ownerTeams: Array.from({ length: 50 }, (_, i) => `team-${i}`),
      runbooks: Array.from({ length: 500 }, (_, i) => ({ id: `rb-${i}`, title: evil(i), url: `https://wiki.example.com/rb-${i}.md?a=1&b=<2>` })),
      recommendedChecks: Array.from({ length: 500 }, (_, i) => evil(i)),
    });
    const { text, blocks } = renderAlert(view);
    expectWithinSlackLimits(blocks);
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    expect(text).toContain('(500 routes)');
    expect(actionIds(blocks)).toEqual(['incident_ack', 'incident_failover', 'incident_resolve', 'incident_checklist']);
    const body = allText(blocks);
    expect(body).toContain('*Customers (500):* CUST-0&lt;&amp;&gt;, CUST-1&lt;&amp;&gt;');
    expect(body).toContain('CUST-9&lt;&amp;&gt; and 490 more');
    expect(body).toContain('down-9&lt;&amp;&gt; and 490 more');
    expect(body).toContain('_and 497 more routes_');
    expect(body).toContain('_and 490 more routes: `status` lists them all_');
    expect(body).toContain('_and 492 more in the checklist_');
    expect(body).toContain('<https://wiki.example.com/rb-0.md?a=1&amp;b=&lt;2&gt;|&lt;!here&gt; A&amp;B');
    expect(body).toContain('…');
  });
});

describe('renderChecklist', () => {
  const input = {
    incidentId: ID,
    runbook: { id: 'link-down', title: 'Link down & out', url: 'https://wiki.example.com/runbooks/link-down.md' },
    tasks: [
      { id: `${ID}:link-down:check-interface`, text: 'Check the interface <if>', done: false },
      { id: `${ID}:link-down:check-optics`, text: 'Check the optics', done: true, doneBy: 'bob', doneAt: '2026-11-25T10:42:00Z' },
    ],
  };

  it('has a task_done button per open task and who/when per done task', () => {
    const { text, blocks } = renderChecklist(input);
    expect(text).toBe(`Checklist for ${ID}: Link down &amp; out (1 of 2 done)`);
    expect(blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: `📋 *Checklist: <https://wiki.example.com/runbooks/link-down.md|Link down &amp; out>*\n${ID} · 1 of 2 done` } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '⬜ Check the interface &lt;if&gt;' },
        accessory: { type: 'button', action_id: ACTION_IDS.taskDone, value: `${ID}:link-down:check-interface`, text: { type: 'plain_text', emoji: true, text: 'Done' } },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '✅ Check the optics' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '✅ done by *bob* at <!date^1795603320^{time}|10:42 UTC>' }] },
    ]);
  });

  it('stays within limits for many long tasks', () => {
    const tasks = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, text: `<b>${'y'.repeat(4000)}`, done: i % 2 === 0, doneBy: 'a&b' }));
    const { blocks } = renderChecklist({ ...input, tasks });
    expectWithinSlackLimits(blocks);
    expect(JSON.stringify(blocks[blocks.length - 1])).toMatch(/more blocks not shown/);
  });
});

describe('renderTimelineLine and renderResolution', () => {
  it('renders one compact timeline line', () => {
    const { text, blocks } = renderTimelineLine({ kind: 'failed_over', text: 'traffic on standby <ok>', at: '2026-11-25T10:04:00Z', actor: 'alice' });
    expect(text).toBe('10:04 UTC failed over (alice): traffic on standby &lt;ok&gt;');
    expect(blocks).toEqual([{ type: 'context', elements: [{ type: 'mrkdwn', text: '🔀 <!date^1795601040^{time}|10:04 UTC> *failed over* · alice — traffic on standby &lt;ok&gt;' }] }]);
    expect(renderTimelineLine({ kind: 'custom', text: 'x', at: 'not a date' }).text).toBe('not a date custom: x');
  });

  it('summarises a resolved incident with MTTA, MTTR, routes and who acknowledged', () => {
    const view = makeView({ state: 'resolved', summary: 'SFP replaced on et-0/0/1', acknowledgedAt: '2026-11-25T10:02:00Z', acknowledgedBy: 'alice (slack)', resolvedAt: '2026-11-25T10:30:00Z', mttrSec: 1800 });
    const { text, blocks } = renderResolution(view);
    expect(text).toBe(`[RESOLVED] ${ID} core-rtr-1 after 30m 00s`);
    expect(blocks[0]!.text).toMatchObject({ text: `✅ Resolved · ${ID}` });
    const body = allText(blocks);
    for (const part of ['*Summary*\nSFP replaced on et-0/0/1', '*Acknowledged by*\nalice (slack)', '*Time to acknowledge (MTTA)*\n2m 00s', '*Time to resolve (MTTR)*\n30m 00s', '*Routes (2)*\nRoute 1, Route 2 on core-rtr-1', '*Fail-over*\nnone']) {
      expect(body).toContain(part);
    }
    expect(allText(renderResolution(makeView({ state: 'resolved' })).blocks)).toContain('*Time to acknowledge (MTTA)*\nnot acknowledged');
    expectWithinSlackLimits(blocks);
  });
});

describe('templates and limits', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-slack-templates-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names a template that renders invalid JSON, or prints a value without a helper', () => {
    fs.writeFileSync(path.join(dir, 'broken.json.hbs'), '[ { "type": "section", "text": {{{json x}}} ');
    expect(() => renderBlocks('broken', { x: 1 }, dir)).toThrow(`Slack template ${path.join(dir, 'broken.json.hbs')} did not produce valid JSON`);
    fs.writeFileSync(path.join(dir, 'bare.json.hbs'), '[\n { "type": "divider", "x": "{{name}}" }\n]');
    expect(() => renderBlocks('bare', { name: 'n' }, dir)).toThrow(`Slack template ${path.join(dir, 'bare.json.hbs')}:2: "{{name}}" prints a value without a helper`);
    expect(() => renderBlocks('missing', {}, dir)).toThrow(/missing\.json\.hbs cannot be read \(ENOENT\)/);
  });

  it('keeps the actions block when a message has too many blocks, and cuts text without breaking links or entities', () => {
    const many: SlackBlock[] = [...Array.from({ length: 60 }, () => ({ type: 'divider' })), { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'B'.repeat(100) }, value: 'v' }] }];
    const fitted = fitSlackLimits(many);
    expect(fitted).toHaveLength(50);
    expect(fitted[48]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '_… 12 more blocks not shown_' }] });
    expect((fitted[49] as Json).elements[0].text.text).toBe(`${'B'.repeat(74)}…`);
    expect(truncateMrkdwn('ab <https://x.example|link> cd', 12)).toBe('ab …');
    expect(truncateMrkdwn('a &amp; b', 5)).toBe('a …');
    expect(truncateMrkdwn('ok 😀 more', 5)).toBe('ok …');
  });
});
