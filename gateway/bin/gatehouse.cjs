#!/usr/bin/env node
// Launcher of the `gatehouse` CLI (package.json "bin"): runs the TypeScript entry through tsx's
// CommonJS loader, as `npm start` runs the gateway, so no build step is needed.
require('tsx/cjs');
require('../src/cli/main.ts');
