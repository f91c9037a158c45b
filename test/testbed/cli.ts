// `npm run testbed -- <command>`: the network testbed for humans. Run as root.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { describeDegradations } from './degrade';
import { run } from './exec';
import { DEFAULT_TARGETS, LINK_NAMES, MAX_ID, MAX_TARGETS, planFor, stateDirFor, type LinkName } from './plan';
import { readState } from './state';
import { testbedAttach, testbedDown, testbedUp, type Testbed } from './testbed';

const integer = (what: string, min: number, max: number) => (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${what} must be a whole number ${min}..${max}`);
  return Number(value);
};

/** "80ms", "80" → 80; "20%", "20" → 20. */
const amount = (unit: string, max = Infinity) => (value: string): number => {
  const match = new RegExp(`^(\\d+(?:\\.\\d+)?)(?:${unit})?$`).exec(value);
  if (!match || Number(match[1]) > max) throw new InvalidArgumentError(`expected a number up to ${max}, optionally followed by ${unit}`);
  return Number(match[1]);
};

const linkArgument = (value: string): LinkName => {
  if (!(LINK_NAMES as readonly string[]).includes(value)) throw new InvalidArgumentError(`link must be one of ${LINK_NAMES.join(', ')}`);
  return value as LinkName;
};

function describe(testbed: Testbed): string {
  const links = Object.entries(testbed.links).map(
    ([name, l]) => `  ${name.padEnd(7)} ${l.edgeIf} ${l.edgeAddress} (ifIndex ${l.ifIndex}) ⟷ ${l.coreIf} ${l.coreAddress}`,
  );
  return [
    `testbed ${testbed.id}: namespaces ${testbed.prefix}edge, ${testbed.prefix}core; host address ${testbed.hostAddress}`,
    `  SNMP agent ${testbed.agent.address}:161 (v2c "public"; v3 user ${testbed.agent.v3.user} SHA/AES)`,
    `  targets ${testbed.targets[0]} … ${testbed.targets.at(-1)} (${testbed.targets.length})`,
    ...links,
  ].join('\n');
}

async function status(id: number): Promise<void> {
  const plan = planFor(id);
  const state = readState(stateDirFor(id));
  if (!state) {
    console.log(`testbed ${id} is not up`);
    return;
  }
  console.log(describe(await testbedAttach(id)));
  for (const ns of [plan.edgeNs, plan.coreNs]) {
    console.log(`${ns}:\n${(await run('ip', ['-n', ns, '-brief', 'address'])).trimEnd().replace(/^/gm, '  ')}`);
  }
  const failed = Object.keys(state.lostRoutes);
  console.log(`failed links: ${failed.length ? failed.join(', ') : 'none'}`);
  console.log(`degradations: ${describeDegradations(state.degradations).join('; ') || 'none'}`);
  console.log(`state: ${stateDirFor(id)} (responder pid ${state.pids.responder}, snmpd pid ${state.pids.snmpd})`);
}

function program(): Command {
  const cli = new Command('testbed')
    .description('network namespaces testbed: root ⟷ edge ⟷ primary|backup ⟷ core')
    .option('--id <n>', `testbed id, 0..${MAX_ID}`, integer('--id', 0, MAX_ID), 0)
    .exitOverride()
    .configureOutput({ outputError: () => undefined }); // main() prints errors with the usage
  const id = (): number => cli.opts<{ id: number }>().id;

  cli
    .command('up')
    .description('build the testbed (tears down a leftover one with the same id first)')
    .option('--targets <n>', 'target addresses on core', integer('--targets', 1, MAX_TARGETS), DEFAULT_TARGETS)
    .option('--trap-port <port>', 'send linkDown/linkUp traps to this UDP port on the host address', integer('--trap-port', 1, 65535))
    .action(async (opts: { targets: number; trapPort?: number }) => {
      const trapSink = opts.trapPort === undefined ? undefined : { port: opts.trapPort };
      console.log(describe(await testbedUp({ id: id(), targets: opts.targets, trapSink })));
    });
  cli
    .command('down')
    .description('remove namespaces, processes, routes and state')
    .action(async () => {
      await testbedDown(id());
      console.log(`testbed ${id()} is down`);
    });
  cli.command('status').description('what is up, failed and degraded').action(() => status(id()));
  cli
    .command('fail')
    .argument('<link>', LINK_NAMES.join(' | '), linkArgument)
    .description("set the link's edge end down")
    .action(async (link: LinkName) => {
      await (await testbedAttach(id())).fail(link);
      console.log(`${link} failed`);
    });
  cli
    .command('heal')
    .argument('<link>', LINK_NAMES.join(' | '), linkArgument)
    .description('link up, its routes restored, its degradation cleared')
    .action(async (link: LinkName) => {
      await (await testbedAttach(id())).heal(link);
      console.log(`${link} healed`);
    });
  cli
    .command('degrade')
    .argument('<link>', LINK_NAMES.join(' | '), linkArgument)
    .description("set the link's degradation (options left out are 0)")
    .addOption(new Option('--delay <ms>', 'added echo reply delay, e.g. 80ms').argParser(amount('ms')))
    .addOption(new Option('--jitter <ms>', 'uniform ± spread around the delay, e.g. 10ms').argParser(amount('ms')))
    .addOption(new Option('--loss <pct>', 'echo requests dropped, e.g. 20%').argParser(amount('%', 100)))
    .action(async (link: LinkName, opts: { delay?: number; jitter?: number; loss?: number }) => {
      const d = { delayMs: opts.delay ?? 0, jitterMs: opts.jitter ?? 0, lossPct: opts.loss ?? 0 };
      await (await testbedAttach(id())).degrade(link, d);
      console.log(`${link}: delay ${d.delayMs} ms ± ${d.jitterMs} ms, loss ${d.lossPct} %`);
    });
  return cli;
}

function usageError(message: string, cli: Command): never {
  console.error(`${message}\n\n${cli.helpInformation()}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const cli = program();
  if (process.argv.length <= 2) usageError('a command is required', cli);
  try {
    await cli.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return; // --help
      usageError(err.message, cli);
    }
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

void main();
