/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
    // PGlite's CommonJS build loads node built-ins with import(), and `cookie` (used by fastify's
    // inject) and jsondiffpatch (the admin API's diffs) are ESM only; the OTLP exporter loads node:http
    // with import(); jest's module VM runs none of these, so they are compiled to plain CommonJS (Node
    // itself loads the ESM ones with require(esm)).
    '^.+/node_modules/(@electric-sql/pglite|cookie|jsondiffpatch|@dmsnell/diff-match-patch|@opentelemetry/otlp-exporter-base)/.+\\.c?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@electric-sql/pglite|cookie|jsondiffpatch|@dmsnell/diff-match-patch|@opentelemetry/otlp-exporter-base)/)'],
  // Network and process tests are I/O bound; two workers match the 2-core CI machine.
  maxWorkers: 2,
  // Generous: PGlite (WASM Postgres) start-up and process tests are slow on a loaded 2-core machine;
  // the bound only catches hangs, it measures nothing.
  testTimeout: 180_000,
  // Integration tests start servers; fail loudly if something is left open.
  detectOpenHandles: false,
  forceExit: false,
};
