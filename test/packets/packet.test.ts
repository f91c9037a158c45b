import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { models } from '../../src/models';
import { escapeMarkdown, utcDateTime, who } from '../../src/packets/format';
import { countPdfPages, generatePacket, UnknownIncidentError } from '../../src/packets/generate-packet';
import { loadPacketData, type PacketData } from '../../src/packets/packet-data';
import { createPdfRenderer } from '../../src/packets/pdf-renderer';
import { renderPacketHtml, renderPacketMarkdown } from '../../src/packets/render-packet';
import { loadRunbooks, type RunbookLibrary } from '../../src/runbooks/load-runbooks';
import { useTestDatabase } from '../support/database';
import { seedPacketIncident, type SeededIncident } from './seed-packet-incident';
import { appendTimelineEvent } from '../../src/incidents/append-timeline-event';

const db = useTestDatabase('packets');
const renderer = createPdfRenderer();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-packet-test-'));
let runbooks: RunbookLibrary;
let seeded: SeededIncident;

const HOSTILE = ' <script>alert(1)</script> & "quotes"';
const squash = (s: string) => s.replace(/\s+/g, '');
const deps = () => ({ models, runbooks, renderer });

beforeAll(async () => {
  runbooks = await loadRunbooks();
});
afterAll(async () => {
  await renderer.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The PDF of the stored packet, written to a file for the poppler tools. */
async function storedPdf(incidentId: string): Promise<string> {
  const doc = await models.IncidentPacket.findById(incidentId).lean();
  expect(doc).not.toBeNull();
  const file = path.join(tmp, `${incidentId}.pdf`);
  // lean() hands a BSON Binary back, whatever the schema type says.
  const pdf = doc!.pdf as unknown as Buffer | { buffer: Uint8Array };
  fs.writeFileSync(file, Buffer.isBuffer(pdf) ? pdf : Buffer.from(pdf.buffer));
  return file;
}

/** The facts a reader must find in both exports: names, timeline messages with who, checklist with who. */
function facts(data: PacketData): string[] {
  return [
    data.incidentId,
    ...data.routes.map((r) => r.name),
    ...data.timeline.map((e) => e.message),
    ...data.timeline.filter((e) => e.by).map((e) => who(e.by)),
    ...data.people,
    ...data.checklist.map((c) => c.text),
    ...data.checklist.filter((c) => c.doneBy).map((c) => who(c.doneBy)),
    ...data.failovers.map((f) => `${f.fromPath} → ${f.toPath}`),
    ...data.runbooks.map((r) => r.title),
    ...data.milestones.filter((m) => m.at).map((m) => utcDateTime(m.at)),
    '1m 30s', // MTTA
    '25m 00s', // MTTR
  ];
}

describe('a resolved incident with routes, timeline, fail-over runs, checklist and snapshots', () => {
  beforeAll(async () => {
    await db.clear();
    seeded = await seedPacketIncident();
  });

  it('loads the packet data: title block, timeline with who, runs, checklist, MTTA/MTTR, runbooks, downsampled charts', async () => {
    const data = (await loadPacketData(deps(), seeded.incidentId))!;
    expect(data.routes.map((r) => r.name)).toEqual(seeded.routeNames);
    expect(data.ownerTeams.sort()).toEqual(['core-net', 'transit-ops']);
    expect(data.dependencies.sort()).toEqual(['core-rtr-1', 'isp-a']);
    expect(data.customerCount).toBe(2);
    expect(data.timeline.map((e) => e.message)).toEqual(seeded.timelineMessages);
    expect(data.timeline.find((e) => e.kind === 'acknowledged')!.by).toEqual({ platform: 'slack', id: 'U0ALICE', name: 'alice' });
    expect(data.milestones.map((m) => [m.label, m.by?.name])).toEqual([
      ['Detected', undefined],
      ['Acknowledged', 'alice'],
      ['Failed over', 'bob'],
      ['Failed back', 'alice'],
      ['Resolved', 'bob'],
    ]);
    expect(data.failovers.map((f) => [f.direction, f.fromPath, f.toPath, f.ok])).toEqual([
      ['failover', 'primary', 'backup-a', true],
      ['failback', 'backup-a', 'primary', true],
    ]);
    expect(data.checklist.filter((c) => c.done).map((c) => c.doneBy?.name)).toEqual(['alice', 'alice', 'bob']);
    expect([data.mttaSec, data.mttrSec]).toEqual([90, 1500]);
    expect(data.people).toEqual(['alice', 'bob']);
    expect(data.runbooks[0]).toMatchObject({ id: 'link-down', use: 'followed', done: 3, total: 4 });
    expect(data.runbooks.some((r) => r.id === 'high-loss' && r.use === 'matched')).toBe(true);

    // Charts: the 25 min incident padded by 25 min on each side, one-minute buckets (at most 600), from the minute series.
    expect(data.charts.from).toBe(seeded.detectedAt.getTime() - 25 * 60_000);
    expect(data.charts.to).toBe(seeded.resolvedAt.getTime() + 25 * 60_000);
    expect(data.charts.raw).toBeUndefined(); // closed long ago, and not a short incident
    const [fra, par] = data.charts.routes;
    expect(fra!.samples).toBe(70 * 60); // 1 s snapshots in the window: seeded up to 45 min after detection
    expect(par!.samples).toBe(70 * 6);
    for (const r of data.charts.routes) for (const s of [r.latency, r.loss, r.score]) expect(s.length).toBeLessThanOrEqual(600);
    expect([fra!.score.length, par!.score.length]).toEqual([70, 70]);
    // min/max survive downsampling: the outage's 0 score and 100 % loss, the backup's worst latency.
    expect(Math.min(...fra!.score.map((p) => p.min))).toBe(0);
    expect(Math.max(...fra!.loss.map((p) => p.max))).toBe(100);
    const raw = await models.RouteHealthSnapshot.find({ routeId: 'edge-fra-1', at: { $gte: new Date(data.charts.from), $lt: new Date(data.charts.to) } }, { latencyMs: 1 }).lean();
    expect(Math.max(...fra!.latency.map((p) => p.max))).toBeCloseTo(Math.max(...raw.map((s) => s.latencyMs ?? 0)), 3);
    expect(data.charts.source).toBe('minute series');
    expect(data.charts.cacheable).toBe(true);
  });

  it('renders a PDF whose text holds the route names, the timeline entries and the people who acted; A4, a sane page count, page 1 rasterises', async () => {
    const packet = await generatePacket(deps(), seeded.incidentId);
    const file = await storedPdf(seeded.incidentId);
    expect(packet.pdfBytes).toBe(fs.statSync(file).size);

    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    const data = (await loadPacketData(deps(), seeded.incidentId))!;
    const missing = facts(data).filter((f) => !squash(text).includes(squash(f)));
    expect(missing).toEqual([]);
    for (const name of [...seeded.routeNames, ...seeded.timelineMessages, ...seeded.people]) expect(squash(text)).toContain(squash(name));

    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)![1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(10);
    expect(packet.pages).toBe(pages);
    expect(info).toMatch(/^Page size:.*\(A4\)/m);

    const png = path.join(tmp, 'page1');
    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', '-singlefile', file, png]);
    const image = fs.readFileSync(`${png}.png`);
    expect(image.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(image.length).toBeGreaterThan(2000);
  });

  it('exports Markdown with the same facts as the PDF', async () => {
    const packet = await generatePacket(deps(), seeded.incidentId);
    const stored = await models.IncidentPacket.findById(seeded.incidentId).lean();
    expect(stored!.markdown).toBe(packet.markdown);
    const data = (await loadPacketData(deps(), seeded.incidentId))!;
    const missing = facts(data).filter((f) => !packet.markdown.includes(escapeMarkdown(f)));
    expect(missing).toEqual([]);
    expect(packet.markdown).toMatch(/^# Incident inc-packet-1$/m);
    expect(packet.markdown).toContain('- [x] Check the optic light levels: done by alice (slack U0ALICE)');
    expect(packet.markdown).toContain('- [ ] Verify the interface stays up for 10 minutes');
  });

  it('keeps the chart series of a closed window with the packet and reuses them on regeneration', async () => {
    await generatePacket(deps(), seeded.incidentId);
    const first = await models.IncidentPacket.findById(seeded.incidentId, { charts: 1 }).lean();
    expect(first!.charts).toMatchObject({ from: expect.any(Number), routes: expect.any(Array) });
    const data = (await loadPacketData(deps(), seeded.incidentId))!;
    expect(data.charts.source).toBe('stored packet');
    const again = await generatePacket(deps(), seeded.incidentId);
    expect(again.pdfBytes).toBeGreaterThan(10_000);
    expect((await models.IncidentPacket.findById(seeded.incidentId, { charts: 1 }).lean())!.charts).toEqual(first!.charts);
    expect(await models.IncidentPacket.countDocuments()).toBe(1);
  });

  it('on demand: an unchanged incident gets its stored packet back unprinted; a changed one is printed again, at most perHour times an hour', async () => {
    await models.IncidentPacket.deleteMany({}); // the tests above printed it already
    let prints = 0;
    const counting = { models, runbooks, renderer: { render: (html: string) => ((prints += 1), renderer.render(html)) } };
    const printed = await generatePacket(counting, seeded.incidentId);
    expect(printed.reused).toBeUndefined();
    expect(prints).toBe(1);

    // A viewer pressing `packet` again and again: nothing changed, nothing printed.
    for (let i = 0; i < 3; i++) {
      const again = await generatePacket(counting, seeded.incidentId, { perHour: 2 });
      expect(again).toMatchObject({ reused: 'unchanged', pdfBytes: printed.pdfBytes, generatedAt: printed.generatedAt });
    }
    expect(prints).toBe(1);

    // Something changed (a timeline entry): printed again, until the hour's prints are used up.
    const change = async (n: number) => {
      await appendTimelineEvent(models, seeded.incidentId, { eventId: `note-${n}`, at: new Date(), kind: 'note', message: `note ${n}` });
    };
    await change(1);
    const second = await generatePacket(counting, seeded.incidentId, { perHour: 2 });
    expect(second.reused).toBeUndefined();
    expect(prints).toBe(2);
    await change(2);
    const limited = await generatePacket(counting, seeded.incidentId, { perHour: 2 });
    expect(prints).toBe(2);
    expect(limited).toMatchObject({ reused: 'limited', generatedAt: second.generatedAt });
    expect(limited.limitedUntil!.getTime() - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(limited.limitedUntil!.getTime() - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    expect((await models.IncidentPacket.findById(seeded.incidentId, { renders: 1 }).lean())!.renders).toHaveLength(2);

    // The packet at resolution (not on demand) is never limited.
    const automatic = await generatePacket(counting, seeded.incidentId);
    expect(automatic.reused).toBeUndefined();
    expect(prints).toBe(3);
  });
});

describe('escaping', () => {
  beforeAll(async () => {
    await db.clear();
    seeded = await seedPacketIncident({ incidentId: 'inc-hostile', hostile: HOSTILE, snapshots: [] });
  });

  it('prints a hostile route name and message as text in the HTML, the PDF and the Markdown', async () => {
    const data = (await loadPacketData(deps(), 'inc-hostile'))!;
    const html = renderPacketHtml(data);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    const md = renderPacketMarkdown(data);
    expect(md).not.toContain('<script>');
    expect(md).toContain('\\<script\\>alert(1)\\</script\\>');

    await generatePacket(deps(), 'inc-hostile');
    const text = execFileSync('pdftotext', [await storedPdf('inc-hostile'), '-'], { encoding: 'utf8' });
    expect(squash(text)).toContain(squash(`Frankfurt edge uplink${HOSTILE}`));
    expect(text).toContain('no measurements in this window');
  });

  it('refuses a template that would print a value unescaped', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'bad-template-'));
    fs.writeFileSync(path.join(dir, 'packet.html.hbs'), '<h1>{{{incidentId}}}</h1>');
    expect(() => renderPacketHtml({ incidentId: 'x' } as PacketData, dir)).toThrow(/unescaped HTML/);
  });
});

describe('generatePacket', () => {
  it('refuses an unknown incident and stores nothing', async () => {
    await expect(generatePacket(deps(), 'inc-nope')).rejects.toThrow(UnknownIncidentError);
    expect(await models.IncidentPacket.countDocuments({ _id: 'inc-nope' })).toBe(0);
  });

  it('does not keep the chart series of an incident still open (its window has not closed)', async () => {
    await db.clear();
    const detectedAt = new Date(Date.now() - 10 * 60_000);
    await models.Incident.create({ _id: 'inc-open', workflowId: 'outage:r-open', routes: ['r-open'], severity: 'major', state: 'open', detectedAt });
    const data = (await loadPacketData(deps(), 'inc-open'))!;
    expect(data.charts.cacheable).toBe(false);
    expect(data.charts.to - Date.now()).toBeLessThan(60_000); // now, rounded up to the minute
    expect(data.routes.map((r) => r.name)).toEqual(['r-open']); // no route record: the id stands in
    const packet = await generatePacket(deps(), 'inc-open');
    expect(packet.pages).toBeGreaterThanOrEqual(1);
    expect(packet.markdown).toContain('| Acknowledged | — |');
    expect((await models.IncidentPacket.findById('inc-open', { charts: 1 }).lean())!.charts).toBeUndefined();
  });

  it('counts the pages of a PDF', () => {
    expect(countPdfPages(Buffer.from('<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>'))).toBe(2);
    expect(countPdfPages(Buffer.from('not a pdf'))).toBeUndefined();
  });
});
