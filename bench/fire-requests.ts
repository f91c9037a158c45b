// A separate process that fires HTTP requests all at once and reports each one's response
// time: the load generator must not share an event loop with the server it measures.
// stdin: JSON [{ url, body, headers }]; stdout: JSON { sentAt (epoch ms), results: [{ status, ms }] }.
import { text } from 'node:stream/consumers';

interface Request {
  url: string;
  body: string;
  headers: Record<string, string>;
}

async function main(): Promise<void> {
  const requests = JSON.parse(await text(process.stdin)) as Request[];
  const sentAt = Date.now();
  const results = await Promise.all(
    requests.map(async (r) => {
      const start = performance.now();
      const res = await fetch(r.url, { method: 'POST', body: r.body, headers: r.headers });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - start };
    }),
  );
  process.stdout.write(JSON.stringify({ sentAt, results }));
}

void main();
