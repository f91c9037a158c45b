import path from 'node:path';

/** Where `npm run setup` puts the server binaries (scripts/setup.sh writes the same names). */
export function toolPaths(toolsDir: string) {
  const bin = path.join(toolsDir, 'bin');
  return {
    temporal: path.join(bin, 'temporal'),
    temporalTestServer: path.join(bin, 'temporal-test-server'),
    ferretdb: path.join(bin, 'ferretdb'),
    /** pip's --target folder: its *.dist-info names carry the wheel versions. */
    pythonTarget: path.join(toolsDir, 'python'),
  };
}
