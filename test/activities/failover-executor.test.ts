import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as snmp from 'net-snmp';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createFailoverActivities } from '../../activities/failover-executor';
import type { ExecuteFailoverInput, ExecuteFailoverResult, VerifyPathResult } from '../../activities/outage-contract';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';
import { startSnmpd, type TestSnmpd } from '../support/snmpd';
import { writeTempFile } from '../fixtures/route-files';
import { loopbackAllowed } from '../support/outbound';

useTestDatabase('failover_exec');

const HOOK_SECRET = 'hook-secret-for-tests';
const SNMP_RW_COMMUNITY = 'private';
const SYS_CONTACT = '1.3.6.1.2.1.1.4.0';
/** Shell metacharacters that must reach the command literally. */
const ROUTE_NAME = `Edge $(touch PWNED); \`id\` | cat > x && "q" 'a'`;

/** What a worker's environment holds besides: none of it may reach a command or its kept output. */
const WORKER_SECRETS = { SLACK_BOT_TOKEN: 'xoxb-worker-slack-token', MONGODB_URI: 'mongodb://admin:db-password@127.0.0.1:27017/statetrace', TEMPORAL_API_KEY: 'temporal-cloud-key-123' };
const ROUTER_KEY = 'router-api-key-0123456789';
const workerEnv = { PATH: process.env.PATH, HOOK_SECRET, SNMP_RW: SNMP_RW_COMMUNITY, ROUTER_KEY, ...WORKER_SECRETS };
// The webhook receiver below listens on loopback, which STATETRACE_OUTBOUND_ALLOW must list.
const activities = createFailoverActivities({ models, env: workerEnv, logger: createLogger('silent'), outbound: loopbackAllowed });
// Activity failures are expected here; keep the SDK's log of them out of the test output.
const mockEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });
const execute = (input: ExecuteFailoverInput): Promise<ExecuteFailoverResult> => mockEnv().run(activities.executeFailover, input);
const verify = (pathId: string): Promise<VerifyPathResult> => mockEnv().run(activities.verifyPath, { routeId: 'r1', pathId });

let workDir: string;
let snmpd: TestSnmpd;
let hookServer: http.Server;
const hookRequests: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

/** Appends its arguments (after the log file) as one JSON line, so a test sees what arrived and how often. */
const RECORD_ARGS = "require('fs').appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)) + '\\n')";
const logFile = (incidentId: string) => path.join(workDir, `${incidentId}.log`);
const runsOf = (incidentId: string): string[][] =>
  fs.existsSync(logFile(incidentId)) ? fs.readFileSync(logFile(incidentId), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]) : [];

function routeFile(hookPort: number, snmpPort: number): string {
  const command = (argv: string[], extra = '') => `{ kind: command, argv: ${JSON.stringify(argv)}${extra} }`;
  const policy = (id: string, executor: string) => `  - { id: ${id}, mode: automatic, failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 60, executor: ${executor} }`;
  const hook = `http://127.0.0.1:${hookPort}`;
  return `version: 1
classes:
  - id: core
    thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }
teams:
  - { id: core-net, name: Core Network, contact: core-net@example.com }
failoverPolicies:
${policy(
  'cmd',
  command([
    process.execPath,
    '-e',
    RECORD_ARGS,
    `${workDir}/{{incident.id}}.log`,
    '{{route.id}}',
    ROUTE_NAME,
    '{{route.destination}}',
    '{{from.id}}',
    '{{from.nextHop}}',
    '{{to.id}}',
    '{{to.nextHop}}',
    '{{to.interface}}',
    '{{path.id}}',
    '{{direction}}',
  ]),
)}
${policy('cmd-dash', command([process.execPath, '-e', RECORD_ARGS, `${workDir}/{{incident.id}}.log`, '{{to.interface}}']))}
${policy('cmd-dash-sep', command([process.execPath, '-e', RECORD_ARGS, `${workDir}/{{incident.id}}.log`, '--', '{{to.interface}}', '--verbose']))}
${policy('cmd-dump-env', command([process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env)); process.stderr.write("x".repeat(5000))'], ', env: [ROUTER_KEY]'))}
${policy('cmd-exit3', command([process.execPath, '-e', "process.stdout.write('switch refused'); process.exit(3)"]))}
${policy('cmd-slow', command([process.execPath, '-e', 'setTimeout(() => {}, 20000)'], ', timeoutSec: 1'))}
${policy('cmd-typo', command(['/usr/bin/printf', '%s', '{{route.nmae}}']))}
${policy('hook', `{ kind: webhook, url: "${hook}/ok", secretEnv: HOOK_SECRET, timeoutSec: 5 }`)}
${policy('hook-500', `{ kind: webhook, url: "${hook}/fail", secretEnv: HOOK_SECRET, timeoutSec: 5 }`)}
${policy('hook-nosecret', `{ kind: webhook, url: "${hook}/ok", secretEnv: NOT_SET_ANYWHERE }`)}
${policy('snmp', `{ kind: snmp-set, agent: 127.0.0.1, port: ${snmpPort}, communityEnv: SNMP_RW, oid: "${SYS_CONTACT}", type: OctetString, value: "noc {{route.id}} via {{to.id}}" }`)}
${policy('snmp-readonly', `{ kind: snmp-set, agent: 127.0.0.1, port: ${snmpPort}, communityEnv: SNMP_RW, oid: "1.3.6.1.2.1.1.3.0", type: Integer, value: "1" }`)}
routes:
  - id: r1
    name: '${ROUTE_NAME.replaceAll("'", "''")}'
    environment: lab
    primary: true
    class: core
    destination: 198.18.10.0/24
    probes:
      - { kind: icmp, target: 127.0.0.1, count: 3, intervalMs: 100, timeoutMs: 1000 }
    paths:
      - { id: main, role: primary, nextHop: 127.0.0.1, interface: lo }
      - { id: backup, role: backup, nextHop: 127.0.0.2, interface: lo, probe: { kind: icmp, target: 127.0.0.1, count: 3, intervalMs: 100, timeoutMs: 1000 } }
      - { id: dead, role: backup, nextHop: 198.18.255.7, probe: { kind: icmp, target: 198.18.255.7, count: 2, intervalMs: 100, timeoutMs: 500 } }
      - { id: dashed, role: backup, nextHop: 127.0.0.3, interface: "--delete-all" }
    owner: { team: core-net }
    failoverPolicy: cmd
`;
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-failover-'));
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      hookRequests.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(req.url === '/ok' ? 200 : 500, { 'Content-Type': 'text/plain' }).end(req.url === '/ok' ? 'switched' : 'router said no');
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  snmpd = await startSnmpd({ rwCommunity: SNMP_RW_COMMUNITY });
  const file = writeTempFile(routeFile((hookServer.address() as AddressInfo).port, snmpd.port));
  await importRouteFile(file, { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger: createLogger('silent') });
});

afterAll(async () => {
  await new Promise((resolve) => hookServer.close(resolve));
  await snmpd?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

let seq = 0;
/** A fresh incident (and so idempotency key and log file) per call site. */
function failover(policyId: string, overrides: Partial<ExecuteFailoverInput> = {}): ExecuteFailoverInput {
  const incidentId = `inc-${++seq}`;
  return { idempotencyKey: `failover:${incidentId}`, incidentId, routeId: 'r1', policyId, direction: 'failover', fromPathId: 'main', toPathId: 'backup', ...overrides };
}

async function nonRetryableFailure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: true });
  return err as ApplicationFailure;
}

describe('executeFailover: command', () => {
  it('renders every argv element and runs it without a shell', async () => {
    const input = failover('cmd');
    const result = await execute(input);
    expect(result).toEqual({ ok: true, detail: 'exit 0', duplicate: false });
    expect(runsOf(input.incidentId)).toEqual([['r1', ROUTE_NAME, '198.18.10.0/24', 'main', '127.0.0.1', 'backup', '127.0.0.2', 'lo', 'backup', 'failover']]);
    // `$(touch PWNED)` was an argument, not a command substitution.
    expect(fs.existsSync(path.join(process.cwd(), 'PWNED'))).toBe(false);
    expect(fs.existsSync(path.join(workDir, 'PWNED'))).toBe(false);
    const run = await models.ExecutorRun.findById(input.idempotencyKey).lean();
    expect(run).toMatchObject({
      incidentId: input.incidentId,
      routeId: 'r1',
      policyId: 'cmd',
      direction: 'failover',
      fromPathId: 'main',
      toPathId: 'backup',
      kind: 'command',
      status: 'finished',
      ok: true,
      exitCode: 0,
    });
    expect(run!.argv).toContain(ROUTE_NAME);
    expect(run!.finishedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
  });

  it('a command that dumps its environment sees PATH, LANG and what its policy names; the kept output has no secret and is capped', async () => {
    const input = failover('cmd-dump-env');
    const result = await execute(input);
    expect(result.ok).toBe(true);
    const stdout = /stdout: (\{.*?\}); stderr/.exec(result.detail)![1]!;
    expect(Object.keys(JSON.parse(stdout) as object).sort()).toEqual(['LANG', 'PATH', 'ROUTER_KEY']);
    // The one secret it was given is kept by name only; none of the worker's is anywhere.
    expect(JSON.parse(stdout)).toMatchObject({ ROUTER_KEY: '[ROUTER_KEY redacted]' });
    const run = await models.ExecutorRun.findById(input.idempotencyKey).lean();
    for (const kept of [result.detail, run!.detail!]) {
      for (const secret of [ROUTER_KEY, HOOK_SECRET, SNMP_RW_COMMUNITY, ...Object.values(WORKER_SECRETS)]) expect(kept).not.toContain(secret);
      expect(kept).toContain('… (truncated)');
      expect(kept.length).toBeLessThan(4500);
    }
  });

  it('refuses route data that would start an argv element with "-" (an option), unless the element comes after "--"', async () => {
    const input = failover('cmd-dash', { toPathId: 'dashed' });
    const err = await nonRetryableFailure(execute(input));
    expect(err.message).toBe('argv[4] "{{to.interface}}" renders to "--delete-all", which the program would take for an option: place it after a "--" element');
    expect(runsOf(input.incidentId)).toEqual([]);
    expect(await models.ExecutorRun.exists({ _id: input.idempotencyKey })).toBeNull();
    // After "--" it is an argument; an option the template itself writes (--verbose) is the policy's own.
    const separated = failover('cmd-dash-sep', { toPathId: 'dashed' });
    expect(await execute(separated)).toMatchObject({ ok: true });
    expect(runsOf(separated.incidentId)).toEqual([['--', '--delete-all', '--verbose']]);
  });

  it('renders no free text into argv: a policy stored before the rule with {{route.name}} fails without running', async () => {
    await models.FailoverPolicy.create({ _id: 'cmd-name', mode: 'manual', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 60, failbackMode: 'automatic', executor: { kind: 'command', argv: [process.execPath, '-e', RECORD_ARGS, `${workDir}/name.log`, '{{route.name}}'] } });
    const input = failover('cmd-name');
    const err = await nonRetryableFailure(execute(input));
    expect(err.message).toMatch(/^argv\[4\] "\{\{route\.name\}\}": "name" not defined/);
    expect(fs.existsSync(path.join(workDir, 'name.log'))).toBe(false);
  });

  it('records a non-zero exit as a failed run, with its output', async () => {
    const input = failover('cmd-exit3');
    await expect(execute(input)).resolves.toEqual({ ok: false, detail: 'exit 3; stdout: switch refused', duplicate: false });
    expect(await models.ExecutorRun.findById(input.idempotencyKey).lean()).toMatchObject({ status: 'finished', ok: false, exitCode: 3 });
  });

  it('kills a command that outlives its timeout and records a failed run', async () => {
    const input = failover('cmd-slow');
    const started = Date.now();
    await expect(execute(input)).resolves.toEqual({ ok: false, detail: 'timed out after 1s', duplicate: false });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await models.ExecutorRun.findById(input.idempotencyKey).lean()).toMatchObject({ ok: false, exitCode: null });
  });

  it('runs once when called twice with the same key; the second call returns the recorded result', async () => {
    const input = failover('cmd');
    const first = await execute(input);
    const second = await execute(input);
    expect(first).toEqual({ ok: true, detail: 'exit 0', duplicate: false });
    expect(second).toEqual({ ok: true, detail: 'exit 0', duplicate: true });
    expect(runsOf(input.incidentId)).toHaveLength(1);
  });

  it('runs once when called concurrently with the same key', async () => {
    const input = failover('cmd');
    const results = await Promise.all(Array.from({ length: 6 }, () => execute(input)));
    expect(runsOf(input.incidentId)).toHaveLength(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.every((r) => r.ok && r.detail === 'exit 0')).toBe(true);
    expect(await models.ExecutorRun.countDocuments({ _id: input.idempotencyKey })).toBe(1);
  });

  it('does not run again for a key whose earlier run never finished (worker died mid-run)', async () => {
    const input = failover('cmd');
    const startedAt = new Date(Date.now() - 120_000);
    await models.ExecutorRun.create({
      _id: input.idempotencyKey,
      ...{ incidentId: input.incidentId, routeId: 'r1', policyId: 'cmd', direction: 'failover', fromPathId: 'main', toPathId: 'backup' },
      kind: 'command',
      status: 'running',
      startedAt,
      deadline: new Date(startedAt.getTime() + 35_000),
    });
    const result = await execute(input);
    expect(result).toMatchObject({ ok: false, duplicate: true, outcomeUnknown: true });
    expect(result.detail).toMatch(/never recorded an outcome/);
    expect(runsOf(input.incidentId)).toHaveLength(0);
  });

  it('fails an unknown template variable without retries, and runs nothing', async () => {
    const input = failover('cmd-typo');
    const err = await nonRetryableFailure(execute(input));
    expect(err.type).toBe('TemplateError');
    expect(err.message).toBe('argv[2] "{{route.nmae}}": "nmae" not defined - 1:2');
    expect(await models.ExecutorRun.exists({ _id: input.idempotencyKey })).toBeNull();
  });

  it('fails an unknown route, policy or path without retries', async () => {
    expect((await nonRetryableFailure(execute(failover('cmd', { routeId: 'nope' })))).type).toBe('UnknownRoute');
    expect((await nonRetryableFailure(execute(failover('nope')))).type).toBe('UnknownPolicy');
    expect((await nonRetryableFailure(execute(failover('cmd', { toPathId: 'nope' })))).type).toBe('UnknownPath');
  });
});

describe('executeFailover: webhook', () => {
  beforeEach(() => (hookRequests.length = 0));

  it('POSTs the signed JSON body; the signature verifies with the documented algorithm', async () => {
    const input = failover('hook', { direction: 'failback', fromPathId: 'backup', toPathId: 'main' });
    await expect(execute(input)).resolves.toEqual({ ok: true, detail: 'HTTP 200; switched', duplicate: false });
    expect(hookRequests).toHaveLength(1);
    const { headers, body } = hookRequests[0]!;
    const timestamp = headers['x-statetrace-timestamp'] as string;
    const expected = createHmac('sha256', HOOK_SECRET).update(`${timestamp}.${body}`).digest('hex');
    expect(headers['x-statetrace-signature']).toBe(`sha256=${expected}`);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(headers['idempotency-key']).toBe(input.idempotencyKey);
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(body)).toEqual({
      incidentId: input.incidentId,
      routeId: 'r1',
      direction: 'failback',
      from: { id: 'backup', nextHop: '127.0.0.2', interface: 'lo' },
      to: { id: 'main', nextHop: '127.0.0.1', interface: 'lo' },
      idempotencyKey: input.idempotencyKey,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('records a 500 as a failed run', async () => {
    const input = failover('hook-500');
    await expect(execute(input)).resolves.toEqual({ ok: false, detail: 'HTTP 500; router said no', duplicate: false });
    expect(await models.ExecutorRun.findById(input.idempotencyKey).lean()).toMatchObject({ kind: 'webhook', ok: false, detail: 'HTTP 500; router said no' });
  });

  it('is refused before sending when the outbound policy does not list loopback (the default): no request, a failed run that says why', async () => {
    const strict = createFailoverActivities({ models, env: workerEnv, logger: createLogger('silent') });
    const executeStrictly = (input: ExecuteFailoverInput): Promise<ExecuteFailoverResult> => mockEnv().run(strict.executeFailover, input);
    const input = failover('hook');
    const result = await executeStrictly(input);
    expect(result).toMatchObject({ ok: false, duplicate: false });
    expect(result.detail).toMatch(/^refused before sending: 127\.0\.0\.1 is a loopback address; STATETRACE_OUTBOUND_ALLOW lists/);
    expect(hookRequests).toHaveLength(0);
    expect(await models.ExecutorRun.findById(input.idempotencyKey).lean()).toMatchObject({ kind: 'webhook', ok: false });
  });

  it('fails without retries when the secret environment variable is not set, and sends nothing', async () => {
    const input = failover('hook-nosecret');
    const err = await nonRetryableFailure(execute(input));
    expect(err).toMatchObject({ type: 'MissingSecret', message: 'environment variable NOT_SET_ANYWHERE (secretEnv) is not set' });
    expect(hookRequests).toHaveLength(0);
    expect(await models.ExecutorRun.exists({ _id: input.idempotencyKey })).toBeNull();
  });
});

describe('executeFailover: snmp-set', () => {
  function getSysContact(): Promise<string> {
    const session = snmp.createSession('127.0.0.1', snmpd.community, { port: snmpd.port, version: snmp.Version2c, timeout: 1000, retries: 0 });
    return new Promise<string>((resolve, reject) => {
      session.get([SYS_CONTACT], (error, varbinds) => (error ? reject(error) : resolve(String(varbinds?.[0]?.value))));
    }).finally(() => session.close());
  }

  it('sets the rendered value on a real agent', async () => {
    const input = failover('snmp');
    const result = await execute(input);
    expect(result).toMatchObject({ ok: true, duplicate: false });
    expect(await getSysContact()).toBe('noc r1 via backup');
    expect(result.detail).not.toContain(SNMP_RW_COMMUNITY);
  });

  it('records an error answer (read-only object) as a failed run', async () => {
    const input = failover('snmp-readonly');
    const result = await execute(input);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^SET 1\.3\.6\.1\.2\.1\.1\.3\.0 Integer 1: .*(NotWritable|NoAccess|NoCreation)/i);
    expect(await models.ExecutorRun.findById(input.idempotencyKey).lean()).toMatchObject({ kind: 'snmp-set', ok: false });
  });
});

describe('verifyPath', () => {
  it('says a path whose probe answers carries traffic', async () => {
    const result = await verify('backup');
    expect(result).toMatchObject({ ok: true, status: 'up' });
    expect(result.score).toBeGreaterThanOrEqual(80);
    expect(result.detail).toMatch(/^icmp 127\.0\.0\.1: up/);
  });

  it("uses the route's ICMP probes for a path without its own probe", async () => {
    await expect(verify('main')).resolves.toMatchObject({ ok: true, status: 'up' });
  });

  it('says no for a path whose probe target is unreachable, after retrying', async () => {
    const started = Date.now();
    const result = await verify('dead');
    expect(result.ok).toBe(false);
    expect(result.status).not.toBe('up');
    expect(result.detail).toContain('198.18.255.7');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('fails an unknown path without retries', async () => {
    expect((await nonRetryableFailure(verify('nope'))).type).toBe('UnknownPath');
  });
});
