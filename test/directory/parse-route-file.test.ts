import path from 'node:path';
import { parseRouteFile, readRouteFile, RouteFileError } from '../../src/directory/parse-route-file';
import { PROJECT_ROOT } from '../../src/config';
import { VALID_ROUTE_FILE, variant, writeTempFile } from '../fixtures/route-files';

/** The formatted problems of a refused file. */
function problemsOf(text: string): string[] {
  try {
    parseRouteFile(text, 'routes.yaml');
  } catch (err) {
    if (err instanceof RouteFileError) return err.message.split('\n');
    throw err;
  }
  throw new Error('the file was accepted');
}

describe('parseRouteFile', () => {
  it('accepts a valid file and fills in documented defaults', () => {
    const file = parseRouteFile(VALID_ROUTE_FILE, 'routes.yaml');
    expect(file.routes.map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(file.routes[0]!.intervalSec).toBe(10);
    expect(file.routes[0]!.probes[0]).toEqual({ kind: 'icmp', target: '127.0.0.1', count: 5, intervalMs: 200, timeoutMs: 2000 });
    expect(file.classes[0]!.telemetrySlaSec).toBe(30);
    expect(file.failoverPolicies[0]!.failbackMode).toBe('automatic');
  });

  it('accepts the shipped example file', () => {
    const { routeFile } = readRouteFile(path.join(PROJECT_ROOT, 'config', 'routes.example.yaml'), 1 << 20);
    expect(routeFile.routes.length).toBeGreaterThanOrEqual(2);
    for (const route of routeFile.routes) {
      for (const probe of route.probes) {
        if (probe.kind !== 'snmp') expect(['127.0.0.1', '::1']).toContain(probe.target);
      }
    }
  });

  it('names file, line and field of a bad next hop', () => {
    const text = variant('{ id: standby, role: backup, nextHop: 127.0.0.2 }', '{ id: standby, role: backup, nextHop: 300.1.1.1 }');
    expect(problemsOf(text)).toEqual(['routes.yaml:29:47: routes[0].paths[1].nextHop: not an IP address']);
  });

  it('reports broken YAML with its position', () => {
    const [first] = problemsOf(variant('    name: Route one', '    name: [Route one'));
    expect(first).toMatch(/^routes\.yaml:\d+:\d+: YAML syntax: /);
  });

  it('reports a duplicate key in a mapping', () => {
    expect(problemsOf(variant('    name: Route one\n', '    name: Route one\n    name: Again\n'))[0]).toMatch(/^routes\.yaml:22:\d+: YAML syntax: Map keys must be unique/);
  });

  it('reports duplicate route ids, pointing at the second', () => {
    expect(problemsOf(variant('  - id: r2\n', '  - id: r1\n'))).toEqual([
      'routes.yaml:34:9: routes[1].id: duplicate id "r1" (first declared at routes[0])',
    ]);
  });

  it('reports an unknown dependency and lists the declared ones', () => {
    expect(problemsOf(variant('dependencies: [isp-a]', 'dependencies: [isp-z]'))).toEqual([
      'routes.yaml:43:20: routes[1].dependencies[0]: unknown dependency "isp-z"; declared: core-rtr-1, isp-a',
    ]);
  });

  it('reports a missing owner', () => {
    expect(problemsOf(variant('    owner: { team: core-net, contact: bob@example.com }\n', ''))).toEqual([
      'routes.yaml:34:5: routes[1].owner: is required',
    ]);
  });

  it('reports an unknown owner team', () => {
    expect(problemsOf(variant('owner: { team: core-net }', 'owner: { team: nobody }'))).toEqual([
      'routes.yaml:31:20: routes[0].owner.team: unknown owner team "nobody"; declared: core-net',
    ]);
  });

  it('reports a misspelt field instead of ignoring it', () => {
    expect(problemsOf(variant('    environment: lab\n    primary: true', '    enviroment: lab\n    primary: true'))).toEqual([
      'routes.yaml:20:5: routes[0].environment: is required',
      'routes.yaml:22:5: routes[0].enviroment: unknown field',
    ]);
  });

  it('reports an unknown probe kind', () => {
    expect(problemsOf(variant('{ kind: icmp, target: 127.0.0.1 }', '{ kind: tcp, target: 127.0.0.1 }'))).toEqual([
      'routes.yaml:26:17: routes[0].probes[0].kind: must be one of icmp, icmp-batch, snmp',
    ]);
  });

  it('requires exactly one primary path', () => {
    expect(problemsOf(variant('{ id: main, role: primary, nextHop: 127.0.0.1 }', '{ id: main, role: backup, nextHop: 127.0.0.1 }'))).toEqual([
      'routes.yaml:28:7: routes[0].paths: exactly one path must have role primary',
    ]);
  });

  it('refuses failback below the failover threshold (no hysteresis)', () => {
    expect(problemsOf(variant('failbackThreshold: 80', 'failbackThreshold: 40'))).toEqual([
      'routes.yaml:16:24: failoverPolicies[0].failbackThreshold: failbackThreshold must be at least failoverThreshold (hysteresis)',
    ]);
  });

  it('refuses free text (the route name) rendered into a command executor\'s argv', () => {
    expect(problemsOf(variant('argv: ["true"]', 'argv: ["logger", "{{ route.name }}"]'))).toEqual([
      expect.stringMatching(/^routes\.yaml:18:38: failoverPolicies\[0\]\.executor\.argv: free text \(route\.name, descriptions\) cannot be rendered into argv: use route\.id$/),
    ]);
  });

  it('reports every schema problem of a file at once', () => {
    const text = variant('nextHop: "::1"', 'nextHop: nope', variant('nextHop: 127.0.0.2', 'nextHop: 127.0.0.256'));
    expect(problemsOf(text)).toEqual([
      'routes.yaml:29:47: routes[0].paths[1].nextHop: not an IP address',
      'routes.yaml:42:45: routes[1].paths[0].nextHop: not an IP address',
    ]);
  });

  it('reports an unknown route class', () => {
    expect(problemsOf(variant('class: core\n    probes:\n      - { kind: snmp', 'class: gold\n    probes:\n      - { kind: snmp'))).toEqual([
      'routes.yaml:38:12: routes[1].class: unknown route class "gold"; declared: core',
    ]);
  });

  describe('icmp probe interface and source (measuring one path)', () => {
    const probe = (fields: string) => variant('{ kind: icmp, target: 127.0.0.1 }', `{ kind: icmp, target: 127.0.0.1, ${fields} }`);

    it('keeps an interface or a source address', () => {
      expect(parseRouteFile(probe('interface: eth1.100'), 'routes.yaml').routes[0]!.probes[0]).toMatchObject({ interface: 'eth1.100' });
      expect(parseRouteFile(probe('source: 127.0.0.1'), 'routes.yaml').routes[0]!.probes[0]).toMatchObject({ source: '127.0.0.1' });
      const pathProbe = variant(
        '{ id: main, role: primary, nextHop: 127.0.0.1 }',
        '{ id: main, role: primary, nextHop: 127.0.0.1, probe: { kind: icmp-batch, target: 127.0.0.1, interface: lo } }',
      );
      expect(parseRouteFile(pathProbe, 'routes.yaml').routes[0]!.paths[0]!.probe).toEqual({ kind: 'icmp-batch', target: '127.0.0.1', interface: 'lo', count: 5, intervalMs: 200, timeoutMs: 2000 });
    });

    it.each([
      ['interface: "-f"', 'routes[0].probes[0].interface: not an interface name (1-15 letters, digits, "_", ".", "@", "+" or "-")'],
      ['interface: a-name-too-long-for-linux', 'routes[0].probes[0].interface: not an interface name (1-15 letters, digits, "_", ".", "@", "+" or "-")'],
      ['interface: "eth 1"', 'routes[0].probes[0].interface: not an interface name (1-15 letters, digits, "_", ".", "@", "+" or "-")'],
      ['interface: 198.18.0.1', 'routes[0].probes[0].interface: is an address; a source address goes in `source`'],
      ['source: eth1', 'routes[0].probes[0].source: not an IP address'],
      ['source: "::1"', 'routes[0].probes[0].source: source and target must be of the same IP version'],
      ['interface: lo, source: 127.0.0.1', 'routes[0].probes[0].source: give interface or source, not both (ping binds to one of them)'],
    ])('refuses %s', (fields, problem) => {
      expect(problemsOf(probe(fields))).toEqual([expect.stringMatching(new RegExp(`^routes\\.yaml:26:\\d+: ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))]);
    });
  });

  it('refuses an empty file and a file of several documents', () => {
    expect(problemsOf('')[0]).toMatch(/^routes\.yaml: expected object, got null|^routes\.yaml: /);
    expect(problemsOf(`${VALID_ROUTE_FILE}---\nversion: 1\n`)[0]).toMatch(/YAML syntax: Source contains multiple documents/);
  });
});

describe('readRouteFile', () => {
  it('refuses an oversized file before parsing it', () => {
    const file = writeTempFile(`${VALID_ROUTE_FILE}# ${'x'.repeat(5000)}\n`);
    expect(() => readRouteFile(file, 4096)).toThrow(/file is \d+ bytes; the limit is 4096 bytes \(STATETRACE_ROUTES_MAX_BYTES\)/);
  });

  it('refuses bytes that are not UTF-8', () => {
    const file = writeTempFile(Buffer.concat([Buffer.from('version: 1\nclasses: '), Buffer.from([0xff, 0xfe, 0x00])]));
    expect(() => readRouteFile(file, 1 << 20)).toThrow(/not valid UTF-8/);
  });

  it('says when the file cannot be read', () => {
    expect(() => readRouteFile('/nonexistent/routes.yaml', 1 << 20)).toThrow('/nonexistent/routes.yaml: cannot read the file (ENOENT)');
  });
});
