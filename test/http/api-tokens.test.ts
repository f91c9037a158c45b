import { createHash } from 'node:crypto';
import { checkApiToken, newApiToken, parseApiToken } from '../../src/http/api-tokens';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';

/**
 * Token format `st_<id>_<secret>`: the secret is base64url, so it contains `_` about once in
 * 64 characters, and starts with one about once in 64 tokens. Splitting the token at `_`
 * then gives an empty secret; these tests take such tokens on purpose instead of by chance.
 */
useTestDatabase('api_tokens');

const ID = '0123456789ab';
const secretOf = (first: string) => `${first}${'A'.repeat(43 - first.length)}`;

describe('parseApiToken', () => {
  it.each([
    ['starting with _', secretOf('_')],
    ['starting with __', secretOf('__x')],
    ['ending with _', `${'B'.repeat(42)}_`],
    ['made of _ and -', '_-'.repeat(21) + '_'],
  ])('takes apart a token whose secret is %s', (_what, secret) => {
    expect(secret).toHaveLength(43);
    expect(parseApiToken(`st_${ID}_${secret}`)).toEqual({ id: ID, secret });
  });

  it('gives back the id and secret of every generated token, also with the secret forced to start with _', () => {
    for (let i = 0; i < 5_000; i++) {
      const { id, secret, token } = newApiToken();
      expect(token).toBe(`st_${id}_${secret}`);
      expect(parseApiToken(token)).toEqual({ id, secret });
      const forced = `_${secret.slice(1)}`;
      expect(parseApiToken(`st_${id}_${forced}`)).toEqual({ id, secret: forced });
    }
  });

  it.each([
    ['no secret', 'st_nope'],
    ['an id of 11 digits', `st_${ID.slice(1)}_${secretOf('x')}`],
    ['an id in capitals', `st_${ID.toUpperCase()}_${secretOf('x')}`],
    ['a secret one short', `st_${ID}_${secretOf('x').slice(1)}`],
    ['a secret one long', `st_${ID}_${secretOf('x')}A`],
    ['base64 rather than base64url', `st_${ID}_${secretOf('+/')}`],
    ['a trailing newline', `st_${ID}_${secretOf('x')}\n`],
    ['another prefix', `sk_${ID}_${secretOf('x')}`],
  ])('refuses %s', (_what, token) => {
    expect(parseApiToken(token)).toBeUndefined();
  });
});

it('checkApiToken accepts a stored token whose secret starts with _, and not the same token with another secret', async () => {
  const secret = secretOf('_k');
  const secretHash = createHash('sha256').update(secret).digest('hex');
  await models.ApiToken.create({ _id: ID, name: 'grafana', scope: 'read', secretHash, createdBy: { platform: 'cli', id: 'test' } });
  expect(await checkApiToken(models, `st_${ID}_${secret}`)).toEqual({ tokenId: ID, name: 'grafana', scope: 'read' });
  expect(await checkApiToken(models, `st_${ID}_${secretOf('_j')}`)).toBeUndefined();
});
