import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const test = globalThis.__STATETRACE_TEST_STACK__;
  if (!test) return;
  await test.stack.stop();
  fs.rmSync(test.dataDir, { recursive: true, force: true });
}
