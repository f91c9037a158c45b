import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPdfRenderer, withoutFetching } from '../../src/packets/pdf-renderer';
import { until } from '../support/until';

const html = (n: number) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>Packet ${n}</h1><svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="100" height="20" fill="#c33"/></svg></body></html>`;
const pdfText = (pdf: Buffer) => execFileSync('pdftotext', ['-', '-'], { input: pdf, encoding: 'utf8' });

describe('createPdfRenderer', () => {
  const renderer = createPdfRenderer({ executablePath: process.env.STATETRACE_CHROMIUM || '/usr/bin/chromium' });
  afterAll(() => renderer.close());

  it('reuses one warm browser for several packets, also when they arrive together', async () => {
    const first = await renderer.render(html(1));
    expect(first.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { pid, launches } = renderer.stats();
    expect(launches).toBe(1);
    expect(pid).toEqual(expect.any(Number));
    const more = await Promise.all([2, 3, 4, 5].map((n) => renderer.render(html(n))));
    more.forEach((pdf, i) => expect(pdfText(pdf)).toContain(`Packet ${i + 2}`));
    expect(renderer.stats()).toEqual({ launches: 1, pid, blockedRequests: 0 });
  });

  it('fetches nothing a packet names: a listener on loopback sees no request and no connection, and the text still prints', async () => {
    const hits: string[] = [];
    let connections = 0;
    const listener = createServer((req, res) => void (hits.push(req.url ?? ''), res.end('x')));
    // Chromium preconnects to hosts a page names before any request is made (and blocked).
    listener.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const before = renderer.stats().blockedRequests;
      // What a route description or a device's output could carry into a packet.
      const hostile = `<!DOCTYPE html><html><head><link rel="stylesheet" href="${base}/css"><style>@import url("${base}/import"); body { background: url("${base}/bg") }</style></head>
        <body><h1>Hostile packet</h1><img src="${base}/img"><iframe src="${base}/frame"></iframe><object data="${base}/object"></object><img src="file:///etc/passwd">
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>`;
      expect(pdfText(await renderer.render(hostile))).toContain('Hostile packet');
      expect(hits).toEqual([]);
      expect(connections).toBe(0);
      expect(renderer.stats().blockedRequests - before).toBeGreaterThanOrEqual(4);
    } finally {
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it('puts the no-fetch policy first in <head>, keeping the doctype (standards mode)', () => {
    const page = withoutFetching('<!DOCTYPE html><html><head lang="en"><title>x</title></head><body></body></html>');
    expect(page).toMatch(/^<!DOCTYPE html><html><head lang="en"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*"><title>/);
    expect(withoutFetching('<p>no head</p>')).toMatch(/^<meta http-equiv="Content-Security-Policy"[^>]*><p>no head<\/p>$/);
  });

  it('runs Chromium with its sandbox: not as root, its renderers in user namespaces of their own, no secret in its environment', async () => {
    process.env.STATETRACE_TEST_SECRET = 'renderer-must-not-see-this';
    const sandboxed = createPdfRenderer({ executablePath: process.env.STATETRACE_CHROMIUM || '/usr/bin/chromium' });
    try {
      await sandboxed.render(html(8));
      const { pid } = sandboxed.stats();
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
      expect(uid).not.toBe(0);
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).not.toContain('--no-sandbox');
      expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('renderer-must-not-see-this');
      // Chromium's namespace sandbox puts its zygote and renderers in a user namespace apart from the browser's.
      const userNs = (p: number | string) => fs.readlinkSync(`/proc/${p}/ns/user`);
      const children = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && descendsFrom(Number(p), pid!));
      expect(children.length).toBeGreaterThan(0);
      expect(children.some((p) => userNs(p) !== userNs(pid!))).toBe(true);
    } finally {
      delete process.env.STATETRACE_TEST_SECRET;
      await sandboxed.close();
    }
  });

  it('launches a new browser after the old one was killed', async () => {
    await renderer.render(html(1));
    const { pid } = renderer.stats();
    process.kill(pid!, 'SIGKILL');
    // Rendering right away either notices the dead browser and retries, or finds it gone.
    expect(pdfText(await renderer.render(html(6)))).toContain('Packet 6');
    const after = renderer.stats();
    expect(after.launches).toBe(2);
    expect(after.pid).not.toBe(pid);
    process.kill(after.pid!, 'SIGKILL');
    await until('disconnect noticed', () => renderer.stats().pid === undefined, 10_000);
    expect(pdfText(await renderer.render(html(7)))).toContain('Packet 7');
    expect(renderer.stats().launches).toBe(3);
  });

  it('refuses to render once closed', async () => {
    const closed = createPdfRenderer();
    await closed.close();
    await expect(closed.render(html(1))).rejects.toThrow(/closed/);
    expect(closed.stats().launches).toBe(0);
  });
});

/** Whether `pid` is a descendant of `ancestor` (by /proc's parent links). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
    try {
      p = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))![1]);
    } catch {
      return false;
    }
    if (p === ancestor) return true;
  }
  return false;
}
