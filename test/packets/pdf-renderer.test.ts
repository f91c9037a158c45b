import { execFileSync } from 'node:child_process';
import { createPdfRenderer } from '../../src/packets/pdf-renderer';
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
    expect(renderer.stats()).toEqual({ launches: 1, pid });
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
