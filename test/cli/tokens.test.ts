import { connectDatabase, disconnectDatabase } from '../../src/db/connect';
import { checkApiToken, parseApiToken } from '../../src/http/api-tokens';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { runCli } from '../support/cli';
import { testMongoUri, uniqueDbName } from '../support/database';

/** `statetrace tokens create|list|revoke` against the test FerretDB; tokens checked as the API checks them. */
const dbName = uniqueDbName('cli_tokens');
const mongoUri = new URL(testMongoUri());
mongoUri.pathname = `/${dbName}`;
const env = { MONGODB_URI: mongoUri.toString() };
beforeAll(() => connectDatabase(testMongoUri(), createLogger('silent'), { dbName }));
afterAll(() => disconnectDatabase());

it('creates a token shown once, stores only a hash, lists it without secrets, and revokes it', async () => {
  const created = runCli(['tokens', 'create', '--name', 'grafana', '--scope', 'read'], env);
  expect(created.code).toBe(0);
  const [, token] = created.stdout.trim().split('\n');
  expect(token).toMatch(/^st_[a-f0-9]{12}_[A-Za-z0-9_-]{43}$/);
  // Taken apart as the API does: the secret may contain (or start with) `_`.
  const { id, secret } = parseApiToken(token!)!;
  expect(created.stdout).toMatch(new RegExp(`^token ${id} \\(grafana, read\\) — shown only now`));

  const stored = (await models.ApiToken.findById(id).lean())!;
  expect(JSON.stringify(stored)).not.toContain(secret);
  expect(stored.secretHash).toMatch(/^[a-f0-9]{64}$/);
  expect(await checkApiToken(models, token!)).toEqual({ tokenId: id, name: 'grafana', scope: 'read' });
  expect(await checkApiToken(models, `${token!.slice(0, -1)}${token!.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
  expect(await checkApiToken(models, 'st_nope')).toBeUndefined();

  const list = runCli(['tokens', 'list'], env);
  expect(list.stdout).toMatch(new RegExp(`^${id}  read   grafana  created \\S+ by \\S+$`, 'm'));
  expect(list.stdout).not.toContain(token!);

  expect(runCli(['tokens', 'revoke', id], env).stdout).toContain(`token ${id} revoked`);
  expect(await checkApiToken(models, token!)).toBeUndefined();
  expect(runCli(['tokens', 'list'], env).stdout).toContain('REVOKED');
  const again = runCli(['tokens', 'revoke', id], env);
  expect([again.code, again.stdout.trim()]).toEqual([1, `no active token ${id}`]);
}, 60_000);

it('refuses an unknown scope and a bad name clearly, creating nothing', async () => {
  const before = await models.ApiToken.countDocuments();
  const scope = runCli(['tokens', 'create', '--name', 'x', '--scope', 'root'], env);
  expect(scope.code).not.toBe(0);
  expect(scope.stderr).toContain('--scope must be one of read, write, admin');
  const name = runCli(['tokens', 'create', '--name', 'a/b;rm', '--scope', 'read'], env);
  expect(name.stderr).toContain('--name: 1-64 letters');
  expect(await models.ApiToken.countDocuments()).toBe(before);
}, 60_000);
