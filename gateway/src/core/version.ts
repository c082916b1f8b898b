/** The gateway's own version (package.json), as the fleet view and traces report it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** From source, package.json is three folders up; from the build (`dist/gateway/src/core`), four. */
const CANDIDATES = [join(__dirname, '..', '..', '..', 'package.json'), join(__dirname, '..', '..', '..', '..', 'package.json')];

function readVersion(): string {
  for (const file of CANDIDATES) {
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gatehouse' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this candidate.
    }
  }
  return 'unknown';
}

export const GATEWAY_VERSION = readVersion();
