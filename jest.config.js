/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // PGlite's CommonJS build loads node built-ins with import(), which jest's module VM cannot run;
    // compiling it turns those into require().
    '^.+/@electric-sql/pglite/dist/.+\\.c?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
  // Network and process tests are I/O bound; two workers match the 2-core CI machine.
  maxWorkers: 2,
  testTimeout: 60_000,
  // Integration tests start servers; fail loudly if something is left open.
  detectOpenHandles: false,
  forceExit: false,
};
