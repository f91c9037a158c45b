import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPRequest } from 'puppeteer-core';
import type { Logger } from '../logger';

/**
 * HTML → PDF on the system Chromium through puppeteer-core (which never downloads a
 * browser). One browser is launched on the first render and kept warm for the next packets
 * (a launch costs seconds, a page ~0.2 s); each render gets its own page, closed afterwards.
 * A browser that crashed or was killed is launched again on the next render.
 *
 * Packets print text that operators, routes and devices supply, so the browser touches
 * nothing: a Content-Security-Policy refuses every request but inline `data:` (no fetch of
 * `<img src="http://127.0.0.1:…">`, no file:), scripts are off, and Chromium always runs
 * with its own sandbox and an environment without the process's secrets. Chromium refuses
 * its sandbox as root, so a root process starts it as an unprivileged user (setpriv; the
 * user namespace sandbox then works, as measured on this machine).
 */

export interface PdfRenderer {
  render(html: string): Promise<Buffer>;
  close(): Promise<void>;
  /** For tests and diagnostics: how many browsers were launched, the live one's pid, and how many requests pages made and were refused. */
  stats(): { launches: number; pid?: number; blockedRequests: number };
}

export interface PdfRendererOptions {
  /** Default: STATETRACE_CHROMIUM, else /usr/bin/chromium. */
  executablePath?: string;
  logger?: Logger;
  /** Pages rendering at once; more wait their turn (each page costs memory and a CPU). */
  maxPages?: number;
  timeoutMs?: number;
  /** The user Chromium runs as when this process is root (STATETRACE_PDF_USER); default `nobody`. */
  user?: string;
}

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const DEFAULT_PDF_USER = 'nobody';
/** util-linux's setpriv: sets the ids and execs Chromium (same pid, so puppeteer still owns the browser process). */
const SETPRIV = '/usr/bin/setpriv';
const FOOTER = '<div style="font-size:7px;width:100%;text-align:center;color:#777;font-family:Helvetica,Arial,sans-serif"><span class="pageNumber"></span> / <span class="totalPages"></span></div>';

export function createPdfRenderer(opts: PdfRendererOptions = {}): PdfRenderer {
  const executablePath = opts.executablePath ?? (process.env.STATETRACE_CHROMIUM || DEFAULT_CHROMIUM);
  const timeout = opts.timeoutMs ?? 30_000;
  const limit = createLimiter(opts.maxPages ?? 2);
  let browser: Promise<Browser> | undefined;
  let launches = 0;
  let pid: number | undefined;
  let closed = false;
  let blockedRequests = 0;

  function launch(): Promise<Browser> {
    const started = Date.now();
    launches += 1;
    const runAs = process.getuid?.() === 0 ? unprivilegedUser(opts.user ?? DEFAULT_PDF_USER) : undefined;
    // A profile of its own, owned by the user Chromium runs as, removed when its process is
    // gone. That user must reach it: TMPDIR may be a folder only root can enter (the demo's
    // is), so a dropped Chromium's profile goes in /tmp (sticky; mkdtemp's random name, 0700).
    const profile = fs.mkdtempSync(path.join(runAs ? '/tmp' : os.tmpdir(), 'statetrace-pdf-'));
    const removeProfile = () => {
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        opts.logger?.warn({ err, profile }, 'could not remove a Chromium profile');
      }
    };
    if (runAs) fs.chownSync(profile, runAs.uid, runAs.gid);
    // /dev/shm is 64 MB in many containers: shared memory goes to /tmp instead. No name or
    // address resolves: Chromium preconnects to hosts a page names (a TCP connection to an
    // internal port, even when the request itself is then blocked).
    const chromiumArgs = puppeteer.defaultArgs({ headless: true, userDataDir: profile, args: ['--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--mute-audio', '--host-resolver-rules=MAP * ~NOTFOUND'] });
    const launching = puppeteer
      .launch({
        ...(runAs
          ? { executablePath: SETPRIV, args: [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', executablePath, ...chromiumArgs] }
          : { executablePath, args: chromiumArgs }),
        ignoreDefaultArgs: true,
        headless: true,
        timeout,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: profile, LANG: process.env.LANG ?? 'C.UTF-8', ...(process.env.TZ ? { TZ: process.env.TZ } : {}) },
        // Puppeteer's own handlers would kill Chromium and exit the process on SIGINT: the
        // owner (`statetrace start`, the demo) stops its other servers first, then close().
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      })
      .then((b) => {
        const own = b.process()?.pid;
        pid = own;
        opts.logger?.info({ pid: own, ms: Date.now() - started, executablePath, user: runAs?.name }, 'chromium launched for packets');
        // Once the process is gone: until then Chromium may still write to its profile.
        b.process()?.once('exit', removeProfile);
        b.on('disconnected', () => {
          if (browser === launching) browser = undefined;
          if (pid === own) pid = undefined;
          if (!closed) opts.logger?.warn({ executablePath }, 'chromium disconnected; the next packet launches it again');
        });
        return b;
      });
    launching.catch(() => {
      removeProfile();
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
        page.on('requestfailed', (request: HTTPRequest) => {
          blockedRequests += 1;
          opts.logger?.warn({ url: request.url().slice(0, 200) }, 'a packet page asked for a resource; blocked');
        });
        await page.setContent(withoutFetching(html), { waitUntil: 'load', timeout });
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
    stats: () => ({ launches, ...(pid !== undefined ? { pid } : {}), blockedRequests }),
  };
}

/**
 * The page with a Content-Security-Policy that lets it load nothing but inline styles and
 * `data:` images and fonts: Chromium refuses every other request (http, file:, frames,
 * objects) before it is made. Put first in <head>, before anything the packet carries.
 */
const NOTHING_FETCHED = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">`;
export function withoutFetching(html: string): string {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return `${html.slice(0, head.index + head[0].length)}${NOTHING_FETCHED}${html.slice(head.index + head[0].length)}`;
  return `${NOTHING_FETCHED}${html}`;
}

/** The ids of the user Chromium runs as (getent, so NSS users count too); never root. */
function unprivilegedUser(name: string): { name: string; uid: number; gid: number } {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8' });
  } catch {
    throw new Error(`STATETRACE_PDF_USER: no user "${name}" on this machine (Chromium runs as that user when StateTrace runs as root)`);
  }
  const [, , uid, gid] = entry.trim().split(':');
  if (Number(uid) === 0) throw new Error(`STATETRACE_PDF_USER: "${name}" is root; Chromium needs an unprivileged user for its sandbox`);
  return { name, uid: Number(uid), gid: Number(gid) };
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
