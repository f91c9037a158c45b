import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger';
import { scrape } from './scrape';

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * A metrics-only HTTP listener for processes without the API server (`statetrace worker`,
 * `statetrace sweeper`, `statetrace bots`): GET /metrics with this process's metrics; the
 * per-route families are the API's.
 */
export async function startMetricsListener(deps: { host: string; port: number; registry: Registry; token?: string; logger: Logger }): Promise<MetricsListener> {
  const source = { registry: deps.registry, token: deps.token };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics here\n');
      return;
    }
    scrape(source, req.headers.authorization).then(
      (answer) => res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body),
      (err: unknown) => {
        deps.logger.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
