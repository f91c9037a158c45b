import { ApplicationFailure } from '@temporalio/common';
import Handlebars from 'handlebars';
import type { ExecuteFailoverInput } from '../outage-contract';
import type { FailoverPolicyDoc } from '../../src/models/failover-policy';
import type { OutboundPolicy } from '../../src/net/outbound';
import { commandEnvironment, runCommand } from './command';
import { SNMP_SET_TIMEOUT_MS, SNMP_SET_TYPES, snmpSet, snmpSetValue, type SnmpSetType } from './snmp-set';
import { secretsOf, type ExecutorOutcome } from './types';
import { postWebhook } from './webhook';

type ExecutorKind = FailoverPolicyDoc['executor']['kind'];
type ExecutorSpec = FailoverPolicyDoc['executor'];

/** A path as templates and webhook receivers see it; `interface` is absent when the route file gives none. */
export interface PathView {
  id: string;
  nextHop: string;
  interface?: string;
}

/** What argv and SNMP value templates can use (README: failoverPolicies executor). */
export interface TemplateContext {
  route: { id: string; name: string; destination?: string };
  from: PathView;
  to: PathView;
  /** The path being switched to (same as `to`). */
  path: PathView;
  incident: { id: string };
  direction: ExecuteFailoverInput['direction'];
}

/** An executor whose input has been checked and rendered: running it is the only step left. */
export interface PreparedExecutor {
  kind: ExecutorKind;
  /** command: the rendered argv, recorded with the run. */
  argv?: string[];
  /** The longest a run can take; a concurrent twin waits about this long for its outcome. */
  timeoutMs: number;
  run(): Promise<ExecutorOutcome>;
}

const DEFAULT_COMMAND_TIMEOUT_SEC = 30;
const DEFAULT_WEBHOOK_TIMEOUT_SEC = 10;
const DEFAULT_SNMP_PORT = 161;

// Own instance: helpers registered elsewhere on the global one cannot change what runs here.
const handlebars = Handlebars.create();

/**
 * Checks the executor's settings, renders its templates and reads its secret. Everything that
 * can never succeed (a broken policy, an unknown template variable, a secret that is not in
 * the environment) fails here, non-retryable, before anything is claimed or run.
 */
export function prepareExecutor(
  spec: ExecutorSpec,
  context: TemplateContext,
  input: ExecuteFailoverInput,
  { env, outbound }: { env: NodeJS.ProcessEnv; outbound: OutboundPolicy },
): PreparedExecutor {
  switch (spec.kind) {
    case 'command': {
      if (!spec.argv?.length) throw brokenPolicy(input.policyId, 'command executor without argv');
      const argv = renderArgv(spec.argv, context);
      const timeoutSec = spec.timeoutSec ?? DEFAULT_COMMAND_TIMEOUT_SEC;
      const names = spec.env ?? [];
      const named = Object.fromEntries(names.map((name) => [name, readSecret(env, name, 'env')]));
      const childEnv = commandEnvironment(env, named);
      return { kind: 'command', argv, timeoutMs: timeoutSec * 1000, run: () => runCommand(argv, timeoutSec, childEnv, secretsOf(env, names)) };
    }
    case 'webhook': {
      const { url, secretEnv } = spec;
      if (!url || !secretEnv) throw brokenPolicy(input.policyId, 'webhook executor needs url and secretEnv');
      const secret = readSecret(env, secretEnv, 'secretEnv');
      const timeoutSec = spec.timeoutSec ?? DEFAULT_WEBHOOK_TIMEOUT_SEC;
      const { from, to } = context;
      return {
        kind: 'webhook',
        timeoutMs: timeoutSec * 1000,
        run: () =>
          postWebhook({
            url,
            secret,
            timeoutSec,
            idempotencyKey: input.idempotencyKey,
            secrets: secretsOf(env, [secretEnv]),
            outbound,
            payload: { incidentId: input.incidentId, routeId: input.routeId, direction: input.direction, from, to, idempotencyKey: input.idempotencyKey, at: new Date().toISOString() },
          }),
      };
    }
    case 'snmp-set': {
      const { agent, communityEnv, oid, type, value } = spec;
      if (!agent || !communityEnv || !oid || !value || !isSnmpSetType(type)) {
        throw brokenPolicy(input.policyId, `snmp-set executor needs agent, communityEnv, oid, value and a type of ${SNMP_SET_TYPES.join(', ')}`);
      }
      const community = readSecret(env, communityEnv, 'communityEnv');
      const rendered = render(value, context, 'value');
      const setValue = snmpSetValue(type, rendered);
      if (setValue === undefined) throw ApplicationFailure.nonRetryable(`value "${rendered}" is not an integer, as type ${type} needs`, 'TemplateError');
      return {
        kind: 'snmp-set',
        // net-snmp sends the request once more after a timeout.
        timeoutMs: 2 * SNMP_SET_TIMEOUT_MS,
        run: () => snmpSet({ agent, port: spec.port ?? DEFAULT_SNMP_PORT, community, oid, type, value: setValue }),
      };
    }
  }
}

/**
 * argv from route data, under two rules that keep data from becoming options or prose from
 * becoming arguments: free text (the route's name; paths and routes have descriptions, which
 * the context never holds) is not available, and an element whose value starts with `-` only
 * because of the data in it is refused unless it comes after a `--` element.
 */
function renderArgv(templates: string[], context: TemplateContext): string[] {
  const { name: _freeText, ...route } = context.route;
  const argvContext = { ...context, route };
  const endOfOptions = templates.indexOf('--');
  return templates.map((template, i) => {
    const where = `argv[${i}]`;
    const value = render(template, argvContext, where);
    if (value.startsWith('-') && !template.startsWith('-') && (endOfOptions === -1 || i < endOfOptions)) {
      throw ApplicationFailure.nonRetryable(`${where} ${JSON.stringify(template)} renders to "${value}", which the program would take for an option: place it after a "--" element`, 'TemplateError');
    }
    return value;
  });
}

/** Strict: a variable the context does not have is an error, never an empty string in a command line. */
function render(template: string, context: object, where: string): string {
  try {
    return handlebars.compile(template, { noEscape: true, strict: true })(context);
  } catch (err) {
    // Handlebars names the missing key but prints its context as "[object Object]": drop that part.
    const reason = (err as Error).message.replace(' in [object Object]', '');
    throw ApplicationFailure.nonRetryable(`${where} ${JSON.stringify(template)}: ${reason}`, 'TemplateError');
  }
}

function readSecret(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const secret = env[name];
  if (!secret) throw ApplicationFailure.nonRetryable(`environment variable ${name} (${field}) is not set`, 'MissingSecret');
  return secret;
}

function isSnmpSetType(type: unknown): type is SnmpSetType {
  return (SNMP_SET_TYPES as readonly unknown[]).includes(type);
}

function brokenPolicy(policyId: string, problem: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`failover policy "${policyId}": ${problem}`, 'BrokenPolicy');
}
