import os from 'node:os';
import type { Config } from '../src/config';
import { createApiToken } from '../src/http/api-tokens';
import type { Logger } from '../src/logger';
import { models } from '../src/models';
import { API_SCOPES, type ApiScope } from '../src/models/api-token';
import { withDatabase } from './routes';

type Out = (line: string) => void;

/** `statetrace tokens create --name grafana --scope read`: prints the token once. */
export async function createTokenCommand(config: Config, logger: Logger, opts: { name: string; scope: string }, out: Out): Promise<number> {
  if (!(API_SCOPES as readonly string[]).includes(opts.scope)) throw new Error(`--scope must be one of ${API_SCOPES.join(', ')}`);
  if (!/^[\w .@-]{1,64}$/.test(opts.name)) throw new Error('--name: 1-64 letters, digits, spaces, . _ @ -');
  const created = await withDatabase(config, logger, () => createApiToken(models, { name: opts.name, scope: opts.scope as ApiScope, createdBy: { platform: 'cli', id: os.userInfo().username } }));
  out(`token ${created.id} (${opts.name}, ${opts.scope}) — shown only now, store it safely:`);
  out(created.token);
  return 0;
}

export async function listTokensCommand(config: Config, logger: Logger, out: Out): Promise<number> {
  const tokens = await withDatabase(config, logger, () => models.ApiToken.find({}, { secretHash: 0 }).sort({ createdAt: 1 }).lean());
  if (tokens.length === 0) out('no API tokens; create one with `statetrace tokens create --name <who> --scope read|write|admin`');
  for (const t of tokens) out(`${t._id}  ${t.scope.padEnd(5)}  ${t.name}  created ${t.createdAt.toISOString()} by ${t.createdBy.id}${t.revokedAt ? `  REVOKED ${t.revokedAt.toISOString()}` : ''}`);
  return 0;
}

export async function revokeTokenCommand(config: Config, logger: Logger, id: string, out: Out): Promise<number> {
  const res = await withDatabase(config, logger, () => models.ApiToken.updateOne({ _id: id, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } }));
  if (res.matchedCount === 0) {
    out(`no active token ${id}`);
    return 1;
  }
  out(`token ${id} revoked (API servers stop accepting it within 30 s)`);
  return 0;
}
