import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Child loggers carry `routeId` / `incidentId` so one outage can be
 * followed across components. Anything that may hold a secret is redacted by key name, so
 * a config object or request logged by mistake still leaks nothing.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'statetrace',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        // pino matches each path at its own depth: cover top level, one and two levels down.
        paths: [
          '*.*.apiKey',
          '*.*.password',
          '*.*.secret',
          '*.*.token',
          '*.apiKey',
          '*.password',
          '*.secret',
          '*.token',
          '*.authKey',
          '*.privKey',
          '*.community',
          'apiKey',
          'password',
          'secret',
          'token',
          'uri',
          '*.uri',
          'headers.authorization',
          'req.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Mongo URIs may carry credentials: show host and database only. */
export function describeMongoUri(uri: string): string {
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.username ? '***@' : ''}${u.host}${u.pathname}`;
  } catch {
    return '[unparseable mongodb uri]';
  }
}
