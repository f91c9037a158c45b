/**
 * The demo's step list. On a terminal: redrawn in place, a spinner and the live detail on the
 * running steps, ✓ / ✗ and the second each finished. Elsewhere (a pipe, a log, CI): one plain
 * line per step start, finish and note, never a control character.
 */
export type StepState = 'pending' | 'running' | 'done' | 'failed';
interface Step {
  label: string;
  state: StepState;
  detail: string;
  at?: number;
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
const MARK: Record<StepState, string> = { pending: '·', running: '', done: '✓', failed: '✗' };
const COLOUR: Record<StepState, string> = { pending: '\x1b[2m', running: '\x1b[36m', done: '\x1b[32m', failed: '\x1b[31m' };
const RESET = '\x1b[0m';
// eslint-disable-next-line no-control-regex -- matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export class Progress {
  private readonly steps = new Map<string, Step>();
  private readonly startedAt = Date.now();
  private readonly tty: boolean;
  private drawn = 0;
  private frame = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly title: string,
    steps: [id: string, label: string][],
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.tty = Boolean(out.isTTY) && process.env.TERM !== 'dumb';
    for (const [id, label] of steps) this.steps.set(id, { label, state: 'pending', detail: '' });
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    } else {
      this.out.write(`${title}\n`);
    }
  }

  /** Seconds since the demo started. */
  elapsed(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  start(id: string, detail = ''): void {
    Object.assign(this.get(id), { state: 'running', detail });
    this.line(`… ${this.get(id).label}${detail ? `: ${detail}` : ''}`);
  }

  /** What a running step is waiting for now (terminal only: a plain log would repeat it every tick). */
  detail(id: string, detail: string): void {
    this.get(id).detail = detail;
  }

  done(id: string, detail: string): void {
    this.finish(id, 'done', detail);
  }

  fail(id: string, detail: string): void {
    this.finish(id, 'failed', detail);
  }

  state(id: string): StepState {
    return this.get(id).state;
  }

  isDone(id: string): boolean {
    return this.state(id) === 'done';
  }

  /** A line that stays above the step list. */
  note(text: string): void {
    if (!this.tty) return void this.out.write(`${text}\n`);
    this.erase();
    this.out.write(`${text}\n`);
    this.draw();
  }

  /** Final frame; later output goes below the list. */
  close(): void {
    clearInterval(this.timer);
    if (this.tty) this.draw();
    this.drawn = 0;
  }

  private get(id: string): Step {
    const step = this.steps.get(id);
    if (!step) throw new Error(`progress: no step ${id}`);
    return step;
  }

  private finish(id: string, state: 'done' | 'failed', detail: string): void {
    const step = Object.assign(this.get(id), { state, detail, at: this.elapsed() });
    this.line(`${MARK[state]} ${step.label} — ${detail}`);
  }

  private line(text: string): void {
    if (this.tty) return this.draw();
    this.out.write(`[${this.elapsed().toFixed(1).padStart(5)} s] ${text}\n`);
  }

  private erase(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const width = Math.max(40, this.out.columns || 100);
    const spin = SPINNER[this.frame++ % SPINNER.length]!;
    const rows = [`\x1b[1m${this.title}\x1b[0m  ${this.elapsed().toFixed(0)} s`];
    for (const s of this.steps.values()) {
      const mark = s.state === 'running' ? spin : MARK[s.state];
      const at = s.at === undefined ? '      ' : `${s.at.toFixed(1).padStart(5)}s`;
      rows.push(`${COLOUR[s.state]}${mark}${RESET} ${at} ${s.label}${s.detail ? `\x1b[2m — ${s.detail}${RESET}` : ''}`);
    }
    this.erase();
    // Cut to the terminal's width: a wrapped row would throw off the redraw's line count.
    this.out.write(rows.map((r) => fit(r, width - 1)).join('\n') + '\n');
    this.drawn = rows.length;
  }
}

/** `text` cut to `width` visible characters (escape sequences kept, a reset at the end). */
function fit(text: string, width: number): string {
  if (text.replace(ANSI, '').length <= width) return text;
  let out = '';
  let visible = 0;
  // eslint-disable-next-line no-control-regex -- as ANSI above
  for (const part of text.split(/(\x1b\[[0-9;]*[A-Za-z])/)) {
    if (part.startsWith('\x1b[')) out += part;
    else {
      out += part.slice(0, Math.max(0, width - 1 - visible));
      visible += part.length;
    }
  }
  return `${out}…${RESET}`;
}
