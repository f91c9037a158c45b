import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal SDK and Core logs as pino JSON lines (component "temporal"), at `level` and above. */
export function temporalSdkLogger(logger: Logger, level: LogLevel = 'INFO'): DefaultLogger {
  const child = logger.child({ component: 'temporal' });
  return new DefaultLogger(level, ({ level: entryLevel, message, meta }) => child[PINO_LEVEL[entryLevel]](meta ?? {}, message));
}
