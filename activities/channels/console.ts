import type { Logger } from '../../src/logger';
import type { NotificationChannel, RenderedMessage } from '../notify';

/**
 * The channel that is always there: a warn log line per message, and the same line on
 * `stream` when given (e.g. a terminal). It is where alerts go while no chat is configured.
 */
export function createConsoleChannel({ logger, stream }: { logger: Logger; stream?: { write(line: string): unknown } }): NotificationChannel {
  return {
    name: 'console',
    send: (msg: RenderedMessage, target: string) => {
      const line = formatConsoleLine(msg);
      logger.warn({ incidentId: msg.incidentId, kind: msg.kind, severity: msg.severity, routes: msg.routes, target }, line);
      stream?.write(`${line}\n`);
      return Promise.resolve({ ok: true, retryable: false });
    },
  };
}

/** `[critical] inc-1 r1 down: primary path lost` */
function formatConsoleLine(msg: RenderedMessage): string {
  return `[${msg.severity}] ${msg.incidentId} ${msg.title}: ${msg.text}`;
}
