import { runCli } from '../support/cli';
import { testMongoUri, uniqueDbName } from '../support/database';
import { VALID_ROUTE_FILE, variant, writeTempFile } from '../fixtures/route-files';

const mongoUri = new URL(testMongoUri());
mongoUri.pathname = `/${uniqueDbName('cli_routes')}`;
const env = { MONGODB_URI: mongoUri.toString() };

describe('statetrace routes', () => {
  it('import refuses a bad file with file:line: field: message and imports nothing', () => {
    const file = writeTempFile(variant('nextHop: 127.0.0.2', 'nextHop: 127.0.0.300'));
    const res = runCli(['routes', 'import', file], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('routes import: 1 problem(s); nothing was imported');
    expect(res.stdout).toContain(`${file}:29:47: routes[0].paths[1].nextHop: not an IP address`);
    const list = runCli(['routes', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('no routes in the directory');
  });

  it('import then list shows the routes; a second import reports them unchanged', () => {
    const file = writeTempFile(VALID_ROUTE_FILE);
    const first = runCli(['routes', 'import', file], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/routes\s+2 created, 0 updated, 0 unchanged/);
    const second = runCli(['routes', 'import', file], env);
    expect(second.stdout).toMatch(/routes\s+0 created, 0 updated, 2 unchanged/);

    const list = runCli(['routes', 'list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+ENV\s+ROLE\s+CLASS\s+OWNER\s+PATHS\s+DEPENDENCIES$/);
    expect(lines[1]).toMatch(/^r1\s+Route one\s+lab\s+primary\s+core\s+core-net\s+\*main→127\.0\.0\.1 standby→127\.0\.0\.2\s+core-rtr-1$/);
    expect(lines[2]).toMatch(/^r2\s+Route two/);
    const json = JSON.parse(runCli(['routes', 'list', '--json'], env).stdout) as { _id: string; customerIds?: string[] }[];
    expect(json.map((r) => r._id)).toEqual(['r1', 'r2']);
    expect(json[0]).not.toHaveProperty('customerIds');
  });

  it('import prints each warning as file:line:column: field: message, and imports the file all the same', () => {
    const file = writeTempFile(variant('    name: Route one', '    name: Route one, renamed'));
    const res = runCli(['routes', 'import', file], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/routes\s+0 created, 1 updated, 1 unchanged/);
    expect(res.stdout).toContain('routes import: 1 warning(s); the file was imported');
    expect(res.stdout).toContain(`${file}:28:9: routes[0].paths[0]: has no probe, so failback checks run the route's own ICMP probes, which measure whatever route is active`);
  });

  it('explains a missing argument and an unknown command', () => {
    const missing = runCli(['routes', 'import'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("missing required argument 'file'");
    const unknown = runCli(['rouets'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command 'rouets'/);
  });

  it('reports invalid configuration clearly', () => {
    const res = runCli(['routes', 'list'], { ...env, STATETRACE_HTTP_PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/invalid configuration:\n\s+STATETRACE_HTTP_PORT: /);
  });
});

describe('statetrace doctor', () => {
  it('prints a version for every component and exits 0 on a set-up machine', () => {
    const res = runCli(['doctor'], {});
    expect(res.stdout).toMatch(/^ok\s+temporal CLI \(dev server\)\s+1\.9\.1/m);
    expect(res.stdout).toMatch(/^ok\s+ferretdb\s+v1\.24\.2$/m);
    expect(res.stdout).toMatch(/^ok\s+temporal test server\s+1\.40\.0$/m);
    expect(res.stdout).toContain('doctor: every component is present');
    expect(res.code).toBe(0);
  });

  it('exits non-zero and names what is missing', () => {
    const res = runCli(['doctor'], { STATETRACE_TOOLS_DIR: '/nonexistent-tools' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^ERR ferretdb\s+MISSING: /m);
    expect(res.stdout).toMatch(/doctor: 3 component\(s\) missing/);
  });
});
