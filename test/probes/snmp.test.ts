import { probeSnmp } from '../../src/probes/snmp';
import type { SnmpProbeSpec } from '../../src/probes/types';
import { freePort } from '../../src/embedded/ports';
import { startSnmpd, type TestSnmpd } from '../support/snmpd';

const PEER_ESTABLISHED = '198.18.200.1';
const PEER_IDLE = '198.18.200.2';
const BGP_PEER_STATE = '1.3.6.1.2.1.15.3.1.2';
const TEST_OID = '1.3.6.1.4.1.99999.1.0';
const IF_OPER_STATUS = '1.3.6.1.2.1.2.2.1.8';
/** ifIndexes that only exist as overrides, with fixed ifOperStatus values. */
const IF_DOWN = 4242;
const IF_LOWER_LAYER_DOWN = 4243;

let snmpd: TestSnmpd;

beforeAll(async () => {
  snmpd = await startSnmpd({
    overrides: [
      `${IF_OPER_STATUS}.${IF_DOWN} integer 2`,
      `${IF_OPER_STATUS}.${IF_LOWER_LAYER_DOWN} integer 7`,
      `${BGP_PEER_STATE}.${PEER_ESTABLISHED} integer 6`, `${BGP_PEER_STATE}.${PEER_IDLE} integer 1`, `.${TEST_OID} octet_str "hello"`,
    ],
  });
});
afterAll(async () => {
  await snmpd?.stop();
});

const v2c = (check: SnmpProbeSpec['check'], more: Partial<SnmpProbeSpec> = {}): SnmpProbeSpec => ({
  kind: 'snmp',
  agent: '127.0.0.1',
  port: snmpd.port,
  version: '2c',
  community: snmpd.community,
  timeoutMs: 1000,
  check,
  ...more,
});
const v3 = (check: SnmpProbeSpec['check']): SnmpProbeSpec =>
  v2c(check, { version: '3', community: undefined, user: snmpd.v3.user, authProtocol: 'sha', authKeyEnv: 'TEST_SNMP_AUTH', privProtocol: 'aes', privKeyEnv: 'TEST_SNMP_PRIV' });
const v3Env = (): NodeJS.ProcessEnv => ({ TEST_SNMP_AUTH: snmpd.v3.authKey, TEST_SNMP_PRIV: snmpd.v3.privKey });

describe('snmp probe against a real snmpd', () => {
  it('ifOperStatus of lo by ifName (found through ifDescr here) and by ifIndex: up', async () => {
    await expect(probeSnmp(v2c({ type: 'ifOperStatus', ifName: 'lo' }))).resolves.toMatchObject({ kind: 'snmp', target: '127.0.0.1', status: 'up' });
    await expect(probeSnmp(v2c({ type: 'ifOperStatus', ifIndex: 1 }))).resolves.toMatchObject({ status: 'up' });
  });

  it('an interface that is not there: unknown (noSuchInstance for an ifIndex, "no interface" for a name)', async () => {
    const byIndex = await probeSnmp(v2c({ type: 'ifOperStatus', ifIndex: 999 }));
    expect(byIndex.status).toBe('unknown');
    expect(byIndex.detail).toMatch(/NoSuchInstance/i);
    const byName = await probeSnmp(v2c({ type: 'ifOperStatus', ifName: 'nonexistent0' }));
    expect(byName).toMatchObject({ status: 'unknown', detail: 'no interface named "nonexistent0" in ifName or ifDescr' });
  });

  it('ifOperStatus 2 is down/link_down; other values are down with the state named', async () => {
    await expect(probeSnmp(v2c({ type: 'ifOperStatus', ifIndex: IF_DOWN }))).resolves.toMatchObject({
      status: 'down',
      taxonomy: ['link_down'],
      detail: `ifOperStatus=2 (down) on ifIndex ${IF_DOWN}`,
    });
    await expect(probeSnmp(v2c({ type: 'ifOperStatus', ifIndex: IF_LOWER_LAYER_DOWN }))).resolves.toMatchObject({
      status: 'down',
      taxonomy: ['link_down'],
      detail: `ifOperStatus=7 (lowerLayerDown) on ifIndex ${IF_LOWER_LAYER_DOWN}`,
    });
  });

  it('works over IPv6 (udp6 transport)', async () => {
    await expect(probeSnmp(v2c({ type: 'ifOperStatus', ifName: 'lo' }, { agent: '::1' }))).resolves.toMatchObject({ target: '::1', status: 'up' });
  });

  it('bgpPeerState 6 is up; 1 is down with "idle" and bgp_down', async () => {
    await expect(probeSnmp(v2c({ type: 'bgpPeerState', peer: PEER_ESTABLISHED }))).resolves.toMatchObject({ status: 'up' });
    const idle = await probeSnmp(v2c({ type: 'bgpPeerState', peer: PEER_IDLE }));
    expect(idle).toMatchObject({ status: 'down', taxonomy: ['bgp_down'], detail: `bgpPeerState=1 (idle) for peer ${PEER_IDLE}` });
  });

  it('a BGP peer the agent does not know is unknown, not down', async () => {
    const m = await probeSnmp(v2c({ type: 'bgpPeerState', peer: '198.18.200.99' }));
    expect(m.status).toBe('unknown');
    expect(m.detail).toMatch(/NoSuch(Object|Instance)/i);
  });

  it('oid: an OctetString matches as UTF-8 text; a mismatch is down/snmp_mismatch with got/expected', async () => {
    await expect(probeSnmp(v2c({ type: 'oid', oid: `.${TEST_OID}`, expect: 'hello' }))).resolves.toMatchObject({ status: 'up' });
    const mismatch = await probeSnmp(v2c({ type: 'oid', oid: TEST_OID, expect: 'goodbye' }));
    expect(mismatch).toMatchObject({ status: 'down', taxonomy: ['snmp_mismatch'], detail: 'got "hello", expected "goodbye"' });
  });

  it('oid: numbers compare by value', async () => {
    const oid = `${BGP_PEER_STATE}.${PEER_ESTABLISHED}`;
    await expect(probeSnmp(v2c({ type: 'oid', oid, expect: 6 }))).resolves.toMatchObject({ status: 'up' });
    await expect(probeSnmp(v2c({ type: 'oid', oid, expect: 5 }))).resolves.toMatchObject({ status: 'down', detail: 'got 6, expected 5' });
  });

  it('v3 authPriv (SHA/AES) with keys from the environment works', async () => {
    await expect(probeSnmp(v3({ type: 'oid', oid: TEST_OID, expect: 'hello' }), { env: v3Env() })).resolves.toMatchObject({ status: 'up' });
    await expect(probeSnmp(v3({ type: 'ifOperStatus', ifName: 'lo' }), { env: v3Env() })).resolves.toMatchObject({ status: 'up' });
  });

  it('v3 with a wrong auth key is unknown: the agent reports a wrong digest', async () => {
    const m = await probeSnmp(v3({ type: 'oid', oid: TEST_OID, expect: 'hello' }), { env: { ...v3Env(), TEST_SNMP_AUTH: 'not-the-right-key' } });
    expect(m.status).toBe('unknown');
    expect(m.detail).toMatch(/Wrong Digest/);
  });

  it('v3 with a key variable that is not set is unknown and names the variable', async () => {
    const m = await probeSnmp(v3({ type: 'oid', oid: TEST_OID, expect: 'hello' }), { env: { TEST_SNMP_AUTH: snmpd.v3.authKey } });
    expect(m).toMatchObject({ status: 'unknown', detail: 'environment variable TEST_SNMP_PRIV (privKeyEnv) is not set' });
  });

  it('an agent that does not answer (closed port, timeout 300 ms) is unknown within about a second', async () => {
    const port = await freePort();
    const started = Date.now();
    const m = await probeSnmp(v2c({ type: 'ifOperStatus', ifIndex: 1 }, { port, timeoutMs: 300 }));
    expect(m.status).toBe('unknown');
    expect(m.detail).toMatch(/timed out/i);
    expect(Date.now() - started).toBeLessThan(1200);
  });
});
