/** Renders docs/ERRORS.md from the error list, so that every code is documented with its status and message. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors } from './errors';

export const ERRORS_DOC = join(__dirname, '..', '..', '..', 'docs', 'ERRORS.md');

/** The whole of docs/ERRORS.md. */
export function errorsDoc(): string {
  const rows = Object.values(Errors).map((e) => `| \`${e.code}\` | ${e.status} | ${e.message.replace(/\|/g, '\\|')} |`);
  return [
    '# Errors',
    '',
    '<!-- Generated from gateway/src/core/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error Gatehouse answers with, defined once in `gateway/src/core/errors.ts`. A body is',
    '`{ "error": { "code", "message", "requestId"? }, "problems"?: [{ "path", "message", "fix" }] }`; the',
    'message is the one below, followed by what is specific to the request when there is something to say.',
    'Details that could help an attacker (addresses, database errors, why a credential failed) go to the log only.',
    '',
    '| code | status | message |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

// `npm run docs:errors` rewrites docs/ERRORS.md.
if (require.main === module) {
  writeFileSync(ERRORS_DOC, errorsDoc());
  process.stdout.write(`updated ${ERRORS_DOC}\n`);
}
