import fs from 'node:fs';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

/** Address, TLS and API key in the shape both the client and the worker connection take. */
export function temporalConnectionOptions(temporal: Config['temporal'], address: string) {
  const tls = temporal.tls;
  return {
    address,
    apiKey: temporal.apiKey,
    tls: tls
      ? {
          serverNameOverride: tls.serverName,
          serverRootCACertificate: tls.caPath ? fs.readFileSync(tls.caPath) : undefined,
          clientCertPair:
            tls.certPath && tls.keyPath ? { crt: fs.readFileSync(tls.certPath), key: fs.readFileSync(tls.keyPath) } : undefined,
        }
      : undefined,
  };
}

export function connectTemporalClient(temporal: Config['temporal'], address: string): Promise<Connection> {
  return Connection.connect({ ...temporalConnectionOptions(temporal, address), connectTimeout: 5000 });
}

export function connectTemporalWorker(temporal: Config['temporal'], address: string): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(temporal, address));
}
