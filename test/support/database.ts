import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/db/connect';
import { createLogger } from '../../src/logger';

/** The embedded FerretDB that the global setup started. */
export function testMongoUri(): string {
  const uri = process.env.STATETRACE_TEST_MONGODB_URI;
  if (!uri) throw new Error('STATETRACE_TEST_MONGODB_URI is unset: run the tests through jest (global setup)');
  return uri;
}

/** A database name nobody else uses in this run. */
export function uniqueDbName(label: string): string {
  return `t_${label.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh database for this test file: connected (with indexes) before the first test,
 * dropped after the last. `clear()` empties every collection between tests.
 */
export function useTestDatabase(label: string) {
  const dbName = uniqueDbName(label);
  beforeAll(async () => {
    await connectDatabase(testMongoUri(), createLogger('silent'), { dbName });
  });
  afterAll(async () => {
    await mongoose.connection.dropDatabase();
    await disconnectDatabase();
  });
  return {
    dbName,
    async clear() {
      const collections = await mongoose.connection.db!.collections();
      await Promise.all(collections.map((c) => c.deleteMany({})));
    },
  };
}

/** Every document of every collection, sorted, to show that a refused action changed nothing. */
export async function snapshotDatabase(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const c of await mongoose.connection.db!.collections()) {
    out[c.collectionName] = await c.find({}).sort({ _id: 1 }).toArray();
  }
  return out;
}
