import type { MongoBackend as MongoBackendClass } from '@agendajs/mongo-backend' with { 'resolution-mode': 'import' };
import type { Agenda as AgendaClass } from 'agenda' with { 'resolution-mode': 'import' };
import type { Db } from 'mongodb';
import type { Logger } from '../logger';

// agenda and its MongoDB backend are ESM-only; Node ≥ 20.19 loads them with require()
// (require(esm)), and jest through its transform (jest.config.js).
/* eslint-disable @typescript-eslint/no-require-imports */
const { Agenda } = require('agenda') as { Agenda: typeof AgendaClass };
const { MongoBackend } = require('@agendajs/mongo-backend') as { MongoBackend: typeof MongoBackendClass };
/* eslint-enable @typescript-eslint/no-require-imports */

export type AgendaInstance = AgendaClass;

/** An agenda on the shared `agendajobs` collection; job failures are logged. */
export function createAgenda(db: Db, logger: Logger, opts: { processEvery?: number | string } = {}): AgendaInstance {
  const agenda = new Agenda({ backend: new MongoBackend({ mongo: db, collection: 'agendajobs' }), processEvery: opts.processEvery ?? 60_000 });
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) => logger.error({ err, job: job.attrs.name }, 'scheduled job failed'));
  return agenda;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` (UTC) as hours and minutes; throws on anything else. */
export function parseUtcTime(at: string): { hour: number; minute: number } {
  const m = HH_MM.exec(at);
  if (!m) throw new Error(`"${at}" is not a time of day as HH:MM (UTC, 00:00 to 23:59)`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** A daily cron expression (run with timezone UTC) for `HH:MM`. */
export function dailyCron(at: string): string {
  const { hour, minute } = parseUtcTime(at);
  return `${minute} ${hour} * * *`;
}

/** Retries a failed run after 1, 2, 4, 8 and 16 minutes, then waits for the next scheduled one. */
export const retryBackoff = (ctx: { attempt: number }): number | null => (ctx.attempt <= 5 ? 60_000 * 2 ** (ctx.attempt - 1) : null);
