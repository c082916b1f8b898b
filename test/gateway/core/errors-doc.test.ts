import { readFileSync } from 'node:fs';
import { Errors } from '../../../gateway/src/core/errors';
import { ERRORS_DOC, errorsDoc } from '../../../gateway/src/core/errors-doc';

describe('docs/ERRORS.md', () => {
  const text = readFileSync(ERRORS_DOC, 'utf8');

  it('is generated from the current error list (run `npm run docs:errors`)', () => {
    expect(text).toBe(errorsDoc());
  });

  it('documents every code with its status', () => {
    for (const e of Object.values(Errors)) expect(text).toContain(`| \`${e.code}\` | ${e.status} |`);
  });
});
