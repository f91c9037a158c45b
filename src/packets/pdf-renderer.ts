import puppeteer, { type Browser } from 'puppeteer-core';
import type { Logger } from '../logger';

/**
 * HTML → PDF on the system Chromium through puppeteer-core (which never downloads a
 * browser). One browser is launched on the first render and kept warm for the next packets
 * (a launch costs seconds, a page ~0.2 s); each render gets its own page, closed afterwards.
 * A browser that crashed or was killed is launched again on the next render.
 */

export interface PdfRenderer {
  render(html: string): Promise<Buffer>;
  close(): Promise<void>;
  /** For tests and diagnostics: how many browsers were launched, and the live one's pid. */
  stats(): { launches: number; pid?: number };
}

export interface PdfRendererOptions {
  /** Default: STATETRACE_CHROMIUM, else /usr/bin/chromium. */
  executablePath?: string;
  logger?: Logger;
  /** Pages rendering at once; more wait their turn (each page costs memory and a CPU). */
  maxPages?: number;
  timeoutMs?: number;
}

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const FOOTER = '<div style="font-size:7px;width:100%;text-align:center;color:#777;font-family:Helvetica,Arial,sans-serif"><span class="pageNumber"></span> / <span class="totalPages"></span></div>';

export function createPdfRenderer(opts: PdfRendererOptions = {}): PdfRenderer {
  const executablePath = opts.executablePath ?? (process.env.STATETRACE_CHROMIUM || DEFAULT_CHROMIUM);
  const timeout = opts.timeoutMs ?? 30_000;
  const limit = createLimiter(opts.maxPages ?? 2);
  let browser: Promise<Browser> | undefined;
  let launches = 0;
  let pid: number | undefined;
  let closed = false;

  function launch(): Promise<Browser> {
    const started = Date.now();
    launches += 1;
    const launching = puppeteer
      .launch({
        executablePath,
        headless: true,
        timeout,
        // Puppeteer's own handlers would kill Chromium and exit the process on SIGINT: the
        // owner (`statetrace start`, the demo) stops its other servers first, then close().
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        // Chromium refuses to start its sandbox as root (containers, CI); as any other user
        // the sandbox stays on, since packets render text that operators and routes supply.
        // /dev/shm is 64 MB in many containers: shared memory goes to /tmp instead.
        args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--mute-audio'],
      })
      .then((b) => {
        const own = b.process()?.pid;
        pid = own;
        opts.logger?.info({ pid: own, ms: Date.now() - started, executablePath }, 'chromium launched for packets');
        b.on('disconnected', () => {
          if (browser === launching) browser = undefined;
          if (pid === own) pid = undefined;
          if (!closed) opts.logger?.warn({ executablePath }, 'chromium disconnected; the next packet launches it again');
        });
        return b;
      });
    launching.catch(() => {
      if (browser === launching) browser = undefined;
    });
    browser = launching;
    return launching;
  }

  async function renderOnce(html: string): Promise<Buffer> {
    const launched = browser ?? launch();
    const b = await launched;
    try {
      const page = await b.newPage();
      try {
        page.setDefaultTimeout(timeout);
        // Nothing in a packet runs or is fetched: no scripts, every value inlined.
        await page.setJavaScriptEnabled(false);
        await page.setContent(html, { waitUntil: 'load', timeout });
        const pdf = await page.pdf({
          format: 'A4',
          printBackground: true,
          displayHeaderFooter: true,
          headerTemplate: '<div></div>',
          footerTemplate: FOOTER,
          margin: { top: '12mm', bottom: '14mm', left: '11mm', right: '11mm' },
          timeout,
        });
        return Buffer.from(pdf);
      } finally {
        await page.close().catch(() => undefined);
      }
    } catch (err) {
      if (b.connected || closed) throw err;
      if (browser === launched) browser = undefined;
      throw new BrowserGoneError(err);
    }
  }

  return {
    render: (html) =>
      limit(async () => {
        if (closed) throw new Error('the PDF renderer is closed');
        try {
          return await renderOnce(html);
        } catch (err) {
          if (!(err instanceof BrowserGoneError)) throw err;
          // The browser died under this render (crash, OOM kill): once more on a new one.
          opts.logger?.warn({ err: err.cause }, 'packet render failed with the browser gone; retrying on a new one');
          return renderOnce(html);
        }
      }),
    async close() {
      closed = true;
      const b = await browser?.catch(() => undefined);
      browser = undefined;
      await b?.close().catch(() => undefined);
    },
    stats: () => ({ launches, ...(pid !== undefined ? { pid } : {}) }),
  };
}

/** Runs at most `max` tasks at once, the rest in arrival order. */
function createLimiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>) => {
    // A finished task hands its slot straight to the next waiting one.
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

class BrowserGoneError extends Error {
  constructor(cause: unknown) {
    super(`the browser went away during a render: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
