/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are `npm run typecheck`'s job; tests only transpile.
  transform: { '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // ESM-only packages that Node 20 loads through require(esm) but jest's module loader cannot
  // (cookie 2, used by fastify's inject): transpile them like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|agenda|@agendajs)/)'],
  // One FerretDB and one Temporal dev server for the whole run (test/support/global-setup.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
