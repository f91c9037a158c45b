// Network testbed: root ⟷ edge ⟷ (primary | backup) ⟷ core, in Linux network namespaces, with
// link failure, loss, delay and an SNMP agent. Used by tests and benchmarks; cli.ts for humans.
import fs from 'node:fs';
import { namespaceExists, run } from './exec';
import { applyDelays, applyLoss, startResponder } from './degrade';
import { buildNetwork, edgeIfIndex, failLink, healLink, removeNetwork } from './network';
import { DEFAULT_TARGETS, LINK_NAMES, planFor, stateDirFor, validateId, validateTargets, type LinkName, type Plan } from './plan';
import { isRunning, stopProcess } from './processes';
import { SNMP_V3, startSnmpd } from './snmp';
import { readState, statePaths, writeState, type Degradation, type TestbedState } from './state';

export type { LinkName } from './plan';

export interface TestbedOptions {
  /** 0..15; namespaces are `st<id>-edge`/`st<id>-core`, addresses 198.18.(id*16).0/20. Default 0. */
  id?: number;
  /** Target addresses on core, 198.18.(id*16+8).1…; default 4, at most 250. */
  targets?: number;
  /** Where snmpd sends linkDown/linkUp traps: this UDP port on `hostAddress`. No traps without it. */
  trapSink?: { port: number };
}

export interface TestbedLink {
  /** The end in `st<id>-edge` (the one `fail` sets down). */
  edgeIf: string;
  /** The other end: in `st<id>-core`; for the uplink, the root namespace's end. */
  coreIf: string;
  /** ifIndex of edgeIf as snmpd in the edge namespace reports it. */
  ifIndex: number;
  edgeAddress: string;
  /** Address of coreIf (for the uplink: hostAddress). */
  coreAddress: string;
}

export interface Testbed {
  id: number;
  prefix: string;
  /** Root end of the uplink, e.g. 198.18.0.1: bind trap receivers here (or on 0.0.0.0). */
  hostAddress: string;
  agent: {
    address: string;
    port: 161;
    community: 'public';
    v3: { user: string; authProtocol: 'sha'; authKey: string; privProtocol: 'aes'; privKey: string };
  };
  targets: string[];
  links: Record<LinkName, TestbedLink>;
  fail(link: LinkName): Promise<void>;
  /** Link up, the routes it lost restored, its loss and delay cleared. */
  heal(link: LinkName): Promise<void>;
  /** Sets the link's degradation to exactly this (omitted fields are 0). Delay applies to echo replies from core. */
  degrade(link: LinkName, d: { delayMs?: number; jitterMs?: number; lossPct?: number }): Promise<void>;
  /** Removes everything this instance made: namespaces, processes, root routes, state files. */
  down(): Promise<void>;
}

/** True when this process can build a testbed: root, `ip netns` and `nft` present. */
export async function testbedAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', ['netns', 'list']);
    await run('nft', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** Builds an instance; an instance left over with the same id is torn down first. */
export async function testbedUp(opts: TestbedOptions = {}): Promise<Testbed> {
  const id = validateId(opts.id ?? 0);
  const plan = planFor(id, validateTargets(opts.targets ?? DEFAULT_TARGETS));
  await testbedDown(id);
  fs.mkdirSync(plan.stateDir, { recursive: true, mode: 0o700 });
  const state: TestbedState = { id, targets: plan.targets.length, trapPort: opts.trapSink?.port, pids: {}, degradations: {}, lostRoutes: {} };
  writeState(plan.stateDir, state);
  try {
    await buildNetwork(plan);
    state.pids.responder = await startResponder(plan);
    writeState(plan.stateDir, state);
    state.pids.snmpd = await startSnmpd(plan, state.trapPort);
    writeState(plan.stateDir, state);
    return await openTestbed(plan);
  } catch (err) {
    await testbedDown(id).catch(() => undefined); // the first error is the one that matters
    throw err;
  }
}

/** The running instance with this id (for a later process, such as the CLI). */
export async function testbedAttach(id = 0): Promise<Testbed> {
  const state = readState(stateDirFor(validateId(id)));
  if (!state || !(await namespaceExists(planFor(id).edgeNs))) throw new Error(`testbed ${id} is not up (run \`npm run testbed -- up --id ${id}\`)`);
  return openTestbed(planFor(id, state.targets));
}

/** Removes instance `id`: its processes, namespaces, root routes and state directory. */
export async function testbedDown(id = 0): Promise<void> {
  const plan = planFor(validateId(id));
  // Our helpers are the processes whose command line names our state directory: this also
  // finds one whose pid `up` never recorded, and never hits a recycled pid.
  for (const pid of helpersMentioning(plan.stateDir)) await stopProcess(pid);
  await removeNetwork(plan);
  fs.rmSync(plan.stateDir, { recursive: true, force: true });
}

function helpersMentioning(stateDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        return fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${stateDir}/`);
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number)
    .filter(isRunning);
}

async function openTestbed(plan: Plan): Promise<Testbed> {
  const links = {} as Record<LinkName, TestbedLink>;
  for (const name of LINK_NAMES) {
    const link = plan.links[name];
    links[name] = {
      edgeIf: link.edgeIf,
      coreIf: link.peerIf,
      ifIndex: await edgeIfIndex(plan, link.edgeIf),
      edgeAddress: link.edgeAddress,
      coreAddress: link.peerAddress,
    };
  }
  const load = (): TestbedState => {
    const state = readState(plan.stateDir);
    if (!state) throw new Error(`testbed ${plan.id}: ${statePaths(plan.stateDir).state} is gone (was the testbed taken down?)`);
    return state;
  };
  /** Applies and records a link's degradation; undefined clears it. */
  const setDegradation = async (state: TestbedState, link: LinkName, d: Degradation | undefined): Promise<void> => {
    if (d) state.degradations[link] = d;
    else delete state.degradations[link];
    await applyLoss(plan, link, d?.lossPct ?? 0);
    await applyDelays(plan, state.pids.responder as number, state.degradations);
    writeState(plan.stateDir, state);
  };
  return {
    id: plan.id,
    prefix: plan.prefix,
    hostAddress: plan.hostAddress,
    agent: { address: plan.agentAddress, port: 161, community: 'public', v3: { ...SNMP_V3 } },
    targets: plan.targets,
    links,
    async fail(link) {
      const state = load();
      if (state.lostRoutes[link]) return; // already down; a second snapshot would be empty
      state.lostRoutes[link] = await failLink(plan, plan.links[link]);
      writeState(plan.stateDir, state);
    },
    async heal(link) {
      const state = load();
      await healLink(plan, plan.links[link], state.lostRoutes[link] ?? []);
      delete state.lostRoutes[link];
      await setDegradation(state, link, undefined);
    },
    async degrade(link, d) {
      const degradation: Degradation = { delayMs: d.delayMs ?? 0, jitterMs: d.jitterMs ?? 0, lossPct: d.lossPct ?? 0 };
      for (const [field, value] of Object.entries(degradation)) {
        if (!Number.isFinite(value) || value < 0 || (field === 'lossPct' && value > 100)) throw new Error(`testbed: degrade ${link}: bad ${field} ${value}`);
      }
      await setDegradation(load(), link, degradation);
    },
    down: () => testbedDown(plan.id),
  };
}
