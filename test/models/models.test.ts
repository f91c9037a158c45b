import mongoose from 'mongoose';
import { appendTimelineEvent } from '../../src/incidents/append-timeline-event';
import { models } from '../../src/models';
import { insertOnce } from '../../src/models/insert-once';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase('models');
beforeEach(() => db.clear());

const at = new Date('2026-11-22T10:00:00.000Z');
const actor = { platform: 'slack', id: 'U123', name: 'alice' };

/** One complete, valid document per model. */
const samples: { [K in keyof typeof models]: Record<string, unknown> } = {
  RouteClass: {
    _id: 'core',
    description: 'core routes',
    thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 },
    telemetrySlaSec: 30,
    debounce: { failuresToSuspect: 1, failuresToDown: 3, recoveriesToUp: 3, graceSec: 10 },
    flapping: { transitions: 4, windowSec: 300 },
  },
  Team: { _id: 'core-net', name: 'Core Network', contact: 'core@example.com', oncall: { slack: ['U1'], discord: ['42'] } },
  Dependency: { _id: 'core-rtr-1', kind: 'router', description: 'rack A' },
  NotificationPreference: {
    _id: 'team:core-net',
    subject: { kind: 'team', id: 'core-net' },
    channels: [{ platform: 'slack', target: '#noc', minSeverity: 'major' }],
  },
  EscalationPolicy: { _id: 'standard', levels: [{ afterSec: 0, notify: ['team:core-net'] }, { afterSec: 300, notify: ['slack:#noc'] }], repeat: 2, repeatEverySec: 900 },
  FailoverPolicy: {
    _id: 'auto',
    mode: 'automatic',
    failoverThreshold: 50,
    failbackThreshold: 80,
    failbackDelaySec: 120,
    failbackMode: 'approval',
    executor: { kind: 'snmp-set', agent: '127.0.0.1', port: 16161, communityEnv: 'SNMP_RW', oid: '1.3.6.1.2.1.2.2.1.7.2', type: 'Integer', value: '1' },
  },
  RouteRecord: {
    _id: 'r1',
    name: 'Route one',
    environment: 'prod',
    primary: true,
    routeClass: 'core',
    destination: '198.18.10.0/24',
    intervalSec: 5,
    probes: [
      { kind: 'icmp', target: '198.18.0.2', count: 5, intervalMs: 200, timeoutMs: 2000 },
      { kind: 'snmp', agent: '127.0.0.1', port: 16161, version: '2c', community: 'public', timeoutMs: 1000, check: { type: 'ifOperStatus', ifName: 'veth0' } },
    ],
    paths: [
      { id: 'main', role: 'primary', nextHop: '198.18.0.2', interface: 'veth0' },
      { id: 'backup', role: 'backup', nextHop: '198.18.1.2', probe: { kind: 'icmp', target: '198.18.1.2', count: 3, intervalMs: 200, timeoutMs: 1000 } },
    ],
    dependencies: ['core-rtr-1'],
    owner: { team: 'core-net', contact: 'alice@example.com' },
    customerIds: ['ACME-1'],
    maintenance: [{ start: at, end: new Date(at.getTime() + 3600_000), reason: 'swap', source: 'chat', createdBy: actor }],
    runbooks: ['link-down'],
    failoverPolicy: 'auto',
    escalationPolicy: 'standard',
    source: { file: '/etc/routes.yaml', sha256: 'abc', importedAt: at },
  },
  RouteHealthSnapshot: {
    routeId: 'r1',
    at,
    status: 'degraded',
    score: 62.5,
    latencyMs: 80.2,
    lossPct: 0,
    jitterMs: 3.1,
    sources: [{ kind: 'icmp', target: '198.18.0.2', status: 'degraded', detail: '5/5 replies' }],
    confidence: 0.9,
    taxonomy: ['high_latency'],
    lastHealthyAt: new Date(at.getTime() - 60_000),
  },
  Incident: {
    _id: 'inc-20261122-r1-7f3a',
    workflowId: 'outage:r1',
    routes: ['r1'],
    dependency: 'core-rtr-1',
    severity: 'critical',
    state: 'acknowledged',
    trigger: 'primary_down',
    detectedAt: at,
    acknowledgedAt: new Date(at.getTime() + 90_000),
    acknowledgedBy: actor,
    activePath: 'main',
    channels: [{ platform: 'slack', channelId: 'C1', alertMessageId: '1700000000.000100' }],
    summary: 'core router rebooted',
  },
  RemediationTask: {
    _id: 'inc-1:link-down:check-optics',
    incidentId: 'inc-1',
    runbookId: 'link-down',
    itemId: 'check-optics',
    text: 'Check optics levels',
    done: true,
    doneBy: actor,
    doneAt: at,
  },
  RouteTransition: {
    _id: 'r1:1763805600000:down',
    routeId: 'r1',
    at,
    kind: 'down',
    from: 'suspect',
    to: 'down',
    cause: 'probe',
    consecutiveFailures: 3,
    status: 'down',
    score: 0,
    taxonomy: ['unreachable'],
    detail: '5/5 lost',
  },
  PendingSignal: {
    routeId: 'r1',
    shard: 0,
    at,
    receivedAt: at,
    source: 'api',
    status: 'degraded',
    detail: 'external monitor',
    taxonomy: ['high_loss'],
    lossPct: 4,
    submittedBy: 'token:ops',
  },
  TimelineEvent: {
    _id: 'inc-20261122-r1-7f3a:detected',
    incidentId: 'inc-20261122-r1-7f3a',
    eventId: 'detected',
    at,
    kind: 'detected',
    message: 'primary down',
    actor,
    data: { lossPct: 100 },
  },
  ExecutorRun: {
    _id: 'failover:inc-1:1',
    incidentId: 'inc-1',
    routeId: 'r1',
    policyId: 'auto',
    direction: 'failover',
    fromPathId: 'main',
    toPathId: 'backup',
    kind: 'command',
    status: 'finished',
    startedAt: at,
    deadline: new Date(at.getTime() + 35_000),
    finishedAt: new Date(at.getTime() + 1200),
    ok: true,
    detail: 'exit 0',
    argv: ['/usr/local/bin/route-switch', 'r1', '198.18.1.2'],
    exitCode: 0,
  },
  Notification: {
    _id: 'notify:inc-1:opened',
    incidentId: 'inc-1',
    kind: 'opened',
    severity: 'critical',
    routes: ['r1'],
    targets: ['team:core-net', 'slack:#noc'],
    title: 'r1 down',
    text: 'primary path lost 100% of probes',
    page: true,
    complete: true,
    deliveries: [
      { channel: 'console', target: 'noc', ok: true, at },
      { channel: 'slack', target: '#noc', ok: false, error: 'channel not configured', at },
    ],
  },
  AuditEntry: {
    _id: 'ack:inc-1:U123',
    at,
    actor,
    action: 'incident.acknowledge',
    target: { kind: 'incident', id: 'inc-1' },
    incidentId: 'inc-1',
    routeId: 'r1',
    outcome: 'ok',
    before: { state: 'open' },
    after: { state: 'acknowledged' },
  },
  IncidentPacket: {
    _id: 'inc-1',
    incidentId: 'inc-1',
    generatedAt: at,
    pdf: Buffer.from('%PDF-1.7 sample'),
    pdfBytes: 15,
    pages: 2,
    markdown: '# Incident inc-1',
    charts: { from: 0, to: 600_000, bucketMs: 1000, computedAt: 900_000, routes: [{ routeId: 'r1', latency: [], loss: [], score: [], samples: 0 }] },
  },
  SlackIncidentChannel: { _id: 'inc-1', name: 'inc-20261122-r1-7f3a', channelId: 'C0INC', claimedAt: at, readyAt: at },
  SlackMessage: { _id: 'inc-1:alert:C0INC', incidentId: 'inc-1', channelId: 'C0INC', role: 'alert', incidentChannel: true, claimedAt: at, ts: '1700000000.000100' },
  RouteHealthRollup: {
    _id: `r1:hour:${at.toISOString()}`,
    routeId: 'r1',
    resolution: 'hour',
    start: at,
    samples: 3600,
    upSamples: 3500,
    degradedSamples: 60,
    downSamples: 40,
    unknownSamples: 0,
    latencySum: 42_000.5,
    latencyCount: 3560,
    latencyMax: 180.2,
    lossSum: 4_120,
    lossCount: 3600,
    lossMax: 100,
    scoreSum: 345_000,
    scoreMin: 0,
  },
  RouteHealthSeries: {
    _id: 'edge-fra-1:2026-11-22T10:00:00.000Z',
    routeId: 'edge-fra-1',
    hour: at,
    m: { '7': { n: 60, up: 58, degraded: 2, down: 0, unknown: 0, latSum: 690, latN: 60, latMin: 10.5, latMax: 14, lossSum: 0, lossN: 60, lossMin: 0, lossMax: 0, scoreSum: 5820, scoreN: 60, scoreMin: 90, scoreMax: 99 } },
  },
  RecentHealthSample: { routeId: 'edge-fra-1', at, status: 'down', score: 0, lossPct: 100 },
  DiscordIncidentChannel: { _id: 'inc-20261122-edge-fra-1-7f3a', name: 'inc-20261122-edge-fra-1-7f3a', guildId: '100000000000000001', channelId: '100000000000000500', claimedAt: at, readyAt: at },
  DiscordMessage: { _id: 'inc-1:alert:incident-channel', incidentId: 'inc-1', channelId: '100000000000000500', role: 'alert', incidentChannel: true, claimedAt: at, messageId: '100000000000000900' },
  ApiToken: { _id: '0123456789ab', name: 'grafana', scope: 'read', secretHash: 'ab'.repeat(32), createdBy: { platform: 'cli', id: 'root' } },
  RouteStatusBoard: { _id: 'shard:0', shard: 0, updatedAt: at, routes: { 'edge-fra-1': { routeId: 'edge-fra-1', at: at.toISOString(), status: 'up', score: 98, latencyMs: 11.5, lossPct: 0, taxonomy: [] } } },
  DigestRun: { _id: 'digest:2026-11-21', day: '2026-11-21', attempt: 1, claimedAt: at, sentAt: at, incidents: 3 },
  WebhookSubscription: {
    _id: 'wh_0123456789ab',
    url: 'https://hooks.example.com/statetrace',
    description: 'incident bridge',
    events: ['opened', 'resolved'],
    secret: `whsec_${'a'.repeat(43)}`,
    active: true,
    createdBy: { platform: 'api', id: '0123456789ab', name: 'ops-admin' },
  },
  MaintenanceWindow: {
    _id: 'slack:T1-trigger-42',
    routeId: 'r1',
    start: at,
    end: new Date(at.getTime() + 7200_000),
    reason: 'line card swap',
    createdBy: actor,
    source: 'chat',
  },
  WebhookDelivery: {
    _id: 'inc-1:opened:wh_0123456789ab',
    subscription: 'wh_0123456789ab',
    incidentId: 'inc-1',
    kind: 'opened',
    payload: '{"id":"inc-1:opened:wh_0123456789ab","event":"opened"}',
    status: 'dead',
    attempts: 6,
    lastStatus: 503,
    lastError: 'HTTP 503',
    lastAttemptAt: at,
    deadAt: at,
  },
};

/** A required field per model, left out to show the schema refuses the document. */
const requiredField: { [K in keyof typeof models]: string } = {
  RouteClass: 'thresholds',
  Team: 'contact',
  Dependency: 'kind',
  NotificationPreference: 'subject',
  EscalationPolicy: 'repeat',
  FailoverPolicy: 'executor',
  RouteRecord: 'owner',
  RouteHealthSnapshot: 'status',
  Incident: 'severity',
  RemediationTask: 'runbookId',
  TimelineEvent: 'incidentId',
  RouteTransition: 'kind',
  PendingSignal: 'shard',
  ExecutorRun: 'toPathId',
  Notification: 'title',
  AuditEntry: 'actor',
  IncidentPacket: 'pdf',
  SlackIncidentChannel: 'claimedAt',
  SlackMessage: 'role',
  RouteHealthRollup: 'samples',
  RouteHealthSeries: 'hour',
  RecentHealthSample: 'at',
  DigestRun: 'claimedAt',
  RouteStatusBoard: 'updatedAt',
  ApiToken: 'scope',
  DiscordIncidentChannel: 'guildId',
  DiscordMessage: 'incidentChannel',
  WebhookSubscription: 'secret',
  WebhookDelivery: 'payload',
  MaintenanceWindow: 'routeId',
};

/** Drops what the database adds so the stored document can be compared with the sample. */
function stored(doc: Record<string, unknown>): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, __v: _v, ...rest } = doc;
  return rest;
}

describe.each(Object.keys(samples) as (keyof typeof models)[])('%s', (name) => {
  const Model = models[name] as unknown as mongoose.Model<Record<string, unknown>>;

  it('round-trips a complete document through FerretDB', async () => {
    const created = await Model.create(samples[name]);
    const read = await Model.findById(created._id).select(name === 'RouteRecord' ? '+customerIds' : '').lean<Record<string, unknown>>();
    expect(read).not.toBeNull();
    const expected = stored(created.toObject({ virtuals: false }));
    expect(stored(read!)).toEqual(expected);
  });

  it('refuses a document that breaks the schema', async () => {
    const { [requiredField[name]]: _dropped, ...broken } = samples[name];
    await expect(Model.create(broken)).rejects.toThrow(mongoose.Error.ValidationError);
    expect(await Model.countDocuments()).toBe(0);
  });

  it('has its indexes in the database', async () => {
    const declared = Model.schema.indexes().map(([fields]) => Object.keys(fields).join(','));
    const present = (await Model.collection.listIndexes().toArray()).map((i) => Object.keys(i.key as object).join(','));
    for (const fields of declared) expect(present).toContain(fields);
  });
});

describe('enumerations', () => {
  it('refuse a value outside the vocabulary', async () => {
    await expect(models.Incident.create({ ...samples.Incident, state: 'exploded' as 'open' })).rejects.toThrow(/state.*not a valid enum value/);
    await expect(models.RouteHealthSnapshot.create({ ...samples.RouteHealthSnapshot, status: 'meh' as 'up' })).rejects.toThrow(/status/);
    await expect(models.RouteHealthSnapshot.create({ ...samples.RouteHealthSnapshot, score: 101 })).rejects.toThrow(/score/);
    await expect(models.RouteRecord.create({ ...samples.RouteRecord, paths: [{ id: 'a', role: 'backup', nextHop: '198.18.0.1' }] })).rejects.toThrow(
      /exactly one primary path/,
    );
    await expect(models.MaintenanceWindow.create({ ...samples.MaintenanceWindow, end: at })).rejects.toThrow(/end must be after start/);
  });
});

describe('idempotent appends (FerretDB has neither transactions nor atomic concurrent updates)', () => {
  const incidentId = samples.Incident._id as string;
  const event = (id: string) => ({ eventId: id, at, kind: 'note', message: `note ${id}`, actor: { platform: 'slack' as const, id: 'U123' } });

  it('a timeline event is stored once however often, and however concurrently, it is appended', async () => {
    await models.Incident.create(samples.Incident);
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => appendTimelineEvent(models, incidentId, event('ack'))),
      ...Array.from({ length: 6 }, (_, i) => appendTimelineEvent(models, incidentId, event(`n${i}`))),
    ]);
    expect(results.slice(0, 6).filter(Boolean)).toHaveLength(1);
    expect(results.slice(6).every(Boolean)).toBe(true);
    const incident = await models.Incident.findById(incidentId).populate('timeline').lean<{ timeline: { eventId: string }[] }>();
    expect(incident!.timeline.map((e) => e.eventId).sort()).toEqual(['ack', 'n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
  });

  it('an audit entry is recorded once per idempotency key', async () => {
    const entry = { _id: 'failover:inc-1:U9', actor, action: 'incident.failover', target: { kind: 'incident', id: 'inc-1' }, outcome: 'ok' };
    const results = await Promise.all(Array.from({ length: 5 }, () => insertOnce(models.AuditEntry, entry)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await models.AuditEntry.countDocuments()).toBe(1);
  });

  it('a second incident of the same workflow id (the route’s next outage) is its own document; a repeated id is refused', async () => {
    await models.Incident.create(samples.Incident);
    await models.Incident.create({ ...samples.Incident, _id: 'inc-next', detectedAt: new Date(at.getTime() + 86_400_000) });
    expect(await models.Incident.countDocuments({ workflowId: samples.Incident.workflowId as string })).toBe(2);
    await expect(models.Incident.create(samples.Incident)).rejects.toThrow(/duplicate key/i);
  });
});
