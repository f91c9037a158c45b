import { outboundPolicy } from '../../src/net/outbound';

/** The outbound policy of tests whose webhook receivers listen on loopback (STATETRACE_OUTBOUND_ALLOW=127.0.0.0/8,::1). */
export const loopbackAllowed = outboundPolicy('127.0.0.0/8,::1');
