import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  /** The raw body, as the signature covers it. */
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** What the receiver answers to its n-th request (1 = first): a status, optionally with headers. */
type Answer = (n: number) => number | { status: number; headers: Record<string, string> };

/** A real webhook receiver on 127.0.0.1 (any free port) that records every request. */
export async function startReceiver(answer: Answer) {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const planned = answer(requests.length + 1);
      const { status, headers } = typeof planned === 'number' ? { status: planned, headers: {} } : planned;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/statetrace`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
