import { Writable } from 'node:stream';
import { createLogger, describeMongoUri } from '../src/logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('logger', () => {
  it('writes JSON lines with routeId / incidentId fields from child loggers', () => {
    const { logger, lines } = capture();
    logger.child({ routeId: 'r1', incidentId: 'inc-1' }).info('route down');
    expect(lines[0]).toMatchObject({ level: 30, name: 'statetrace', routeId: 'r1', incidentId: 'inc-1', msg: 'route down' });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('redacts secrets at the top level and nested', () => {
    const { logger, lines } = capture();
    logger.info({ apiKey: 'k1', temporal: { apiKey: 'k2' }, config: { temporal: { token: 't3' } }, probe: { community: 'private' }, uri: 'mongodb://u:p@h/db' }, 'x');
    const text = JSON.stringify(lines[0]);
    for (const secret of ['k1', 'k2', 't3', 'private', 'u:p@']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('shows MongoDB URIs without credentials', () => {
    expect(describeMongoUri('mongodb://admin:hunter2@db1:27017/statetrace')).toBe('mongodb://***@db1:27017/statetrace');
    expect(describeMongoUri('not a uri')).toBe('[unparseable mongodb uri]');
  });
});
