import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { formatProblem, parseRouteFileWithWarnings, readRouteFile } from '../../src/directory/parse-route-file';
import { routePathProbeWarnings } from '../../src/directory/path-probe-warnings';
import { VALID_ROUTE_FILE, variant } from '../fixtures/route-files';

/** The warnings of a valid file, as `routes import` prints them. */
const warningsOf = (text: string): string[] => parseRouteFileWithWarnings(text, 'routes.yaml').warnings.map(formatProblem);

/** `routes.yaml:<line>:<column>` of the first occurrence of `needle`. */
function at(text: string, needle: string): string {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`not in the file: ${needle}`);
  return `routes.yaml:${line + 1}:${lines[line]!.indexOf(needle) + 1}`;
}

const PRIMARY = '{ id: main, role: primary, nextHop: 127.0.0.1 }';
/** VALID_ROUTE_FILE with route r1's primary path replaced (and optionally its destination set). */
function withPrimary(path: string, destination?: string): string {
  const text = variant(PRIMARY, path);
  return destination ? variant('    class: core\n    probes:\n      - { kind: icmp, target: 127.0.0.1 }', `    class: core\n    destination: ${destination}\n    probes:\n      - { kind: icmp, target: 127.0.0.1 }`, text) : text;
}

describe('warnings about primary path probes (the import goes ahead)', () => {
  it('a primary path probe inside the route destination, unbound: it measures whatever route is active', () => {
    const probe = '{ kind: icmp, target: 198.18.8.1 }';
    const text = withPrimary(`{ id: main, role: primary, nextHop: 198.18.1.2, probe: ${probe} }`, '198.18.8.0/24');
    expect(warningsOf(text)).toEqual([
      `${at(text, probe)}: routes[0].paths[0].probe: targets 198.18.8.1, inside the route's destination 198.18.8.0/24, from no particular interface or source: it measures whatever route is active, not this path (while the route is on a backup the primary reads healthy even with its link down, and failback switches onto a dead path); probe the path's next hop 198.18.1.2 instead (bound to the path's interface with \`interface:\` when StateTrace runs on the router itself), or its BGP session (kind: snmp, check: bgpPeerState)`,
    ]);
  });

  it("a primary path probe of one of the route's own targets (no destination given) is the same mistake", () => {
    const text = withPrimary('{ id: main, role: primary, nextHop: 198.18.1.2, probe: { kind: icmp-batch, target: 127.0.0.1 } }');
    expect(warningsOf(text)).toEqual([expect.stringMatching(/^routes\.yaml:\d+:\d+: routes\[0\]\.paths\[0\]\.probe: targets 127\.0\.0\.1, a target of the route's own probes, from no particular interface or source: /)]);
  });

  it('IPv6: a target inside a v6 destination warns; the destination of another family does not match', () => {
    const v6 = withPrimary('{ id: main, role: primary, nextHop: "2001:db8:1::2", probe: { kind: icmp, target: "2001:db8:8::1" } }', '"2001:db8:8::/48"');
    expect(warningsOf(v6)).toEqual([expect.stringContaining("routes[0].paths[0].probe: targets 2001:db8:8::1, inside the route's destination 2001:db8:8::/48")]);
    const otherFamily = withPrimary('{ id: main, role: primary, nextHop: 198.18.1.2, probe: { kind: icmp, target: 198.18.8.1 } }', '"2001:db8:8::/48"');
    expect(warningsOf(otherFamily)).toEqual([]);
  });

  it('bound to an interface but aimed at the destination: reads down while the route is elsewhere; advises the next hop', () => {
    const text = withPrimary('{ id: main, role: primary, nextHop: 198.18.1.2, probe: { kind: icmp, target: 198.18.8.1, interface: eth1 } }', '198.18.8.0/24');
    expect(warningsOf(text)).toEqual([
      expect.stringMatching(
        /routes\[0\]\.paths\[0\]\.probe: sends from interface eth1 to 198\.18\.8\.1, inside the route's destination 198\.18\.8\.0\/24: while the route is on another path .* the probe reads down even when this path is healthy, so failback never happens\. Probe the next hop 198\.18\.1\.2 from eth1, or keep a standby route/,
      ),
    ]);
  });

  it('a primary path without a probe of its own, on a route with a failover policy: failback checks would run the route probes', () => {
    expect(warningsOf(VALID_ROUTE_FILE)).toEqual([
      `${at(VALID_ROUTE_FILE, PRIMARY)}: routes[0].paths[0]: has no probe, so failback checks run the route's own ICMP probes, which measure whatever route is active, not this path (while the route is on a backup the primary reads healthy even with its link down); give it a probe: probe the path's next hop 127.0.0.1 (bound to the path's interface with \`interface:\` when StateTrace runs on the router itself), or its BGP session (kind: snmp, check: bgpPeerState)`,
    ]);
    // Route r2 (no failover policy) has the same shape and no warning: its paths' probes never run.
    // Route r2 (SNMP probes only) given a backup path and the failover policy instead of r1.
    let snmpOnly = variant('    failoverPolicy: manual\n', '');
    snmpOnly = variant('      - { id: main, role: primary, nextHop: "::1" }\n', '      - { id: main, role: primary, nextHop: "::1" }\n      - { id: standby, role: backup, nextHop: "::2" }\n', snmpOnly);
    snmpOnly = variant('    owner: { team: core-net, contact: bob@example.com }\n', '    owner: { team: core-net, contact: bob@example.com }\n    failoverPolicy: manual\n', snmpOnly);
    expect(warningsOf(snmpOnly)).toEqual([
      `${at(snmpOnly, '{ id: main, role: primary, nextHop: "::1" }')}: routes[1].paths[0]: has no probe and the route has no ICMP probe, so failback checks can never measure this path and the route stays on its backup; give the path a probe`,
    ]);
  });

  it.each([
    ['its next hop', '{ kind: icmp, target: 198.18.1.2, interface: eth1 }'],
    ['its next hop, unbound (StateTrace away from the router)', '{ kind: icmp, target: 198.18.1.2 }'],
    ['the destination from a source address (policy routing sends it by the path)', '{ kind: icmp, target: 198.18.8.1, source: 198.18.1.1 }'],
    ['its BGP session', '{ kind: snmp, agent: 198.18.1.2, community: public, check: { type: bgpPeerState, peer: 198.18.1.2 } }'],
    ['another address outside the destination', '{ kind: icmp, target: 198.18.9.1 }'],
  ])('no warning for a primary path probe of %s', (_what, probe) => {
    expect(warningsOf(withPrimary(`{ id: main, role: primary, nextHop: 198.18.1.2, probe: ${probe} }`, '198.18.8.0/24'))).toEqual([]);
  });

  it('no warning for a backup path probe of the destination: it runs right after the route was switched onto that path', () => {
    const text = variant(
      '{ id: standby, role: backup, nextHop: 127.0.0.2 }',
      '{ id: standby, role: backup, nextHop: 198.18.2.2, probe: { kind: icmp, target: 198.18.8.1 } }',
      withPrimary('{ id: main, role: primary, nextHop: 198.18.1.2, probe: { kind: icmp, target: 198.18.1.2, interface: eth1 } }', '198.18.8.0/24'),
    );
    expect(warningsOf(text)).toEqual([]);
  });

  it('routePathProbeWarnings judges one route (PUT /api/v1/routes/:id), with paths relative to it', () => {
    const route = parseRouteFileWithWarnings(withPrimary('{ id: main, role: primary, nextHop: 198.18.1.2, probe: { kind: icmp, target: 198.18.8.1 } }', '198.18.8.0/24'), 'routes.yaml').routeFile.routes[0]!;
    expect(routePathProbeWarnings(route)).toEqual([{ path: ['paths', 0, 'probe'], message: expect.stringMatching(/^targets 198\.18\.8\.1, inside the route's destination/) }]);
  });
});

it('the shipped example binds its path probes and imports without warnings', () => {
  const { routeFile, warnings } = readRouteFile(path.join(PROJECT_ROOT, 'config', 'routes.example.yaml'), 1 << 20);
  expect(warnings).toEqual([]);
  for (const p of routeFile.routes.find((r) => r.failoverPolicy)!.paths) expect(p.probe).toMatchObject({ kind: 'icmp', target: p.nextHop, interface: p.interface });
});
