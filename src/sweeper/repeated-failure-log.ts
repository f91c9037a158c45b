import type { Logger } from '../logger';

/**
 * Logs a failure that repeats while something is away (the database, for the sweeper's
 * writers, which retry every flush): its 1st, 11th, 21st… time in a row, not every time.
 */
export class RepeatedFailureLog {
  private inARow = 0;

  constructor(
    private readonly logger: Logger,
    private readonly every = 10,
  ) {}

  failed(fields: object, msg: string): void {
    this.inARow += 1;
    if (this.inARow % this.every === 1) this.logger.warn({ ...fields, failuresInARow: this.inARow }, msg);
  }

  succeeded(): void {
    this.inARow = 0;
  }
}
