import { randomBytes } from 'node:crypto';
import { createApiAuth } from '../../../src/http/auth';
import { registerSignalsApi } from '../../../src/http/signals-api';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { startApiRig } from './api-harness';

/**
 * The API's rate limits against the ways around them: a %-escaped path, a flood of random
 * bearers, someone else's token id with a wrong secret. Limits key on the client address
 * before authentication and on the verified token after it.
 */
useTestDatabase('api_rate_limits');
const randomToken = () => `st_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const idOf = (token: string) => token.slice(3, 15);

describe('API rate limits', () => {
  it('answers 429 in the error shape once a token has used its requests for the minute; another token has its own', async () => {
    const rig = await startApiRig({ limits: { perToken: 5 } });
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await rig.call('GET', '/api/v1/routes')).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    const res = await rig.call('GET', '/api/v1/routes');
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({ error: expect.stringMatching(/^rate limit: 5 requests per minute for this token; retry in \d+ s$/) });
    expect((await rig.call('GET', '/api/v1/routes', { as: 'admin' })).statusCode).toBe(200);
  });

  it('a %-escaped path is the same endpoint and counts against the same address limit', async () => {
    const rig = await startApiRig({ limits: { perAddress: 5 } });
    // The router decodes /%61pi/… to /api/…: the request is served, so it must be counted.
    expect((await rig.call('GET', '/%61pi/v1/routes')).statusCode).toBe(200);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await rig.call('GET', i % 2 ? '/%61pi/v1/routes' : '/api/v1/%72outes')).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 429]);
    expect((await rig.call('GET', '/api/v1/routes')).json()).toEqual({ error: expect.stringMatching(/^rate limit: 5 requests per minute from this address/) });
    // Another address is not affected; /healthz is not limited.
    expect((await rig.app.inject({ method: 'GET', url: '/api/v1/routes', remoteAddress: '198.18.7.7', headers: { authorization: `Bearer ${rig.tokens.read}` } })).statusCode).toBe(200);
    expect((await rig.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('1,000 random bearers from one address: 20 token lookups, then 429 without any; the address limit is not reset by new bearers', async () => {
    const rig = await startApiRig({ limits: { perToken: 600, failures: 20 } });
    const lookups = jest.spyOn(models.ApiToken, 'findById');
    try {
      const codes = new Map<number, number>();
      for (let i = 0; i < 1000; i++) {
        const res = await rig.app.inject({ method: 'GET', url: '/api/v1/routes', remoteAddress: '198.18.9.9', headers: { authorization: `Bearer ${randomToken()}` } });
        codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
      }
      expect(Object.fromEntries(codes)).toEqual({ 401: 20, 429: 980 });
      expect(lookups).toHaveBeenCalledTimes(20);
      const blocked = await rig.app.inject({ method: 'GET', url: '/api/v1/routes', remoteAddress: '198.18.9.9', headers: { authorization: `Bearer ${rig.tokens.read}` } });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json()).toEqual({ error: expect.stringMatching(/^rate limit: 20 failed authentications per minute from this address/) });
      // A client elsewhere with a real token is served.
      expect((await rig.call('GET', '/api/v1/routes')).statusCode).toBe(200);
    } finally {
      lookups.mockRestore();
    }
  });

  it('a monitor pushing signals with its STATETRACE_SIGNAL_TOKENS token is not a failed authentication', async () => {
    const rig = await startApiRig();
    const monitor = 'monitor-token-0123456789';
    registerSignalsApi(rig.app, { models, tokens: [{ name: 'ops-monitor', token: monitor }], shardCount: 4, auth: createApiAuth(models, { perTokenPerMinute: 0, failuresPerMinute: 2 }) });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await rig.call('POST', '/api/v1/signals', { as: null, body: { routeId: 'r1', status: 'up' }, headers: { authorization: `Bearer ${monitor}` } })).statusCode);
    expect(codes).toEqual([202, 202, 202, 202, 202]);
    await models.PendingSignal.deleteMany({});
  });

  it("someone else's token id with a wrong secret spends nothing of that token's allowance", async () => {
    const rig = await startApiRig({ limits: { perToken: 5, failures: 1000 } });
    const forged = `st_${idOf(rig.tokens.admin)}_${randomBytes(32).toString('base64url')}`;
    for (let i = 0; i < 50; i++) {
      const res = await rig.app.inject({ method: 'GET', url: '/api/v1/routes', remoteAddress: '198.18.9.10', headers: { authorization: `Bearer ${forged}` } });
      expect(res.statusCode).toBe(401);
    }
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await rig.call('GET', '/api/v1/routes', { as: 'admin' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200]);
  });
});
