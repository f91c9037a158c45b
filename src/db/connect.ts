import mongoose from 'mongoose';
import { describeMongoUri, type Logger } from '../logger';
import { ensureIndexes } from '../models';

/**
 * Connects the shared mongoose connection. Indexes are created explicitly (autoIndex off)
 * so start-up does it once, in order, and reports failures.
 */
export async function connectDatabase(uri: string, logger: Logger, opts: { dbName?: string } = {}): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  await mongoose.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000, dbName: opts.dbName });
  await ensureIndexes();
  logger.info({ mongo: describeMongoUri(uri), db: mongoose.connection.name }, 'database connected');
  return mongoose;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** For /healthz: a round trip to the server. */
export async function pingDatabase(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== mongoose.ConnectionStates.connected) throw new Error('not connected');
  await db.admin().ping();
}
