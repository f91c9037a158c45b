import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../actor';
import type { Models } from '../models';
import type { ApiScope } from '../models/api-token';

/** API tokens: created (shown once), checked, revoked. The secret is never stored. */

/**
 * `st_<id>_<secret>`: the id is 12 hex digits, the secret 43 base64url characters, which
 * include `_` — so a token is taken apart by position, never split at `_`.
 */
const TOKEN = /^st_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A new token's parts: 6 random bytes of id, 32 of secret. */
export function newApiToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `st_${id}_${secret}` };
}

/** The id and secret of a well-formed token (whatever its secret's characters), else undefined. */
export function parseApiToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export interface ApiCaller {
  tokenId: string;
  name: string;
  scope: ApiScope;
}

export async function createApiToken(models: Pick<Models, 'ApiToken'>, input: { name: string; scope: ApiScope; createdBy: Actor }): Promise<{ id: string; token: string }> {
  const { id, secret, token } = newApiToken();
  await models.ApiToken.create({ _id: id, name: input.name, scope: input.scope, secretHash: sha256(secret).toString('hex'), createdBy: input.createdBy });
  return { id, token };
}

/** The token's caller, if the presented token exists, matches and is not revoked (compared in constant time). */
export async function checkApiToken(models: Pick<Models, 'ApiToken'>, presented: string): Promise<ApiCaller | undefined> {
  const parts = parseApiToken(presented);
  if (!parts) return undefined;
  const doc = await models.ApiToken.findById(parts.id).lean();
  if (!doc || doc.revokedAt) return undefined;
  const ok = timingSafeEqual(Buffer.from(doc.secretHash, 'hex'), sha256(parts.secret));
  return ok ? { tokenId: doc._id, name: doc.name, scope: doc.scope } : undefined;
}

const RANK: Record<ApiScope, number> = { read: 1, write: 2, admin: 3 };
/** admin ⊇ write ⊇ read. */
export const scopeAllows = (has: ApiScope, needs: ApiScope) => RANK[has] >= RANK[needs];
