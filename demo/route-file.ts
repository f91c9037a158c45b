import fs from 'node:fs';
import path from 'node:path';
import type { Testbed } from '../test/testbed/testbed';

const TEMPLATE = path.join(__dirname, 'routes.demo.yaml');
/** The route the template defines: the one the demo cuts and watches. */
export const DEMO_ROUTE_ID = 'branch-dc1';

/** The /24 the testbed's targets live in: the destination whose next hop the executor moves. */
export function destinationOf(tb: Testbed): string {
  return `${tb.targets[0]!.split('.').slice(0, 3).join('.')}.0/24`;
}

/** demo/routes.demo.yaml with its ${NAME} placeholders filled from this testbed. */
export function demoRouteFile(tb: Testbed): string {
  const values: Record<string, string> = {
    EDGE_NS: `${tb.prefix}edge`,
    DESTINATION: destinationOf(tb),
    TARGET: tb.targets[0]!,
    PRIMARY_NEXT_HOP: tb.links.primary.coreAddress,
    BACKUP_NEXT_HOP: tb.links.backup.coreAddress,
  };
  return fs.readFileSync(TEMPLATE, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${TEMPLATE}: unknown placeholder \${${name}}`);
    return value;
  });
}
