import { spawnSync } from 'node:child_process';

/** Sample lines of a Prometheus text scrape: `name{labels}` → value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** The metric names a scrape has samples of (histogram _bucket/_sum/_count included). */
export function sampleNames(text: string): Set<string> {
  return new Set([...samples(text).keys()].map((series) => series.replace(/\{.*$/, '')));
}

/** promtool check metrics: what it says (nothing when the scrape is clean) and its exit status. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (res.error) throw new Error(`promtool is not installed (npm run setup installs Debian's prometheus package): ${res.error.message}`);
  return { status: res.status, output: `${res.stdout}${res.stderr}`.trim() };
}
