import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsTable } from '../../../../gateway/src/settings';

/** The text between `<!-- section:name -->` and `<!-- /section:name -->` in the README. */
function readmeSection(name: string): string {
  const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- section:${name} -->`);
  const end = readme.indexOf(`<!-- /section:${name} -->`);
  if (start < 0 || end < 0) throw new Error(`README.md has no ${name} section`);
  return readme.slice(start + `<!-- section:${name} -->`.length, end).trim();
}

describe('README', () => {
  it('settings table equals the settings schema (update it with `npm run docs:settings -- --write`)', () => {
    expect(readmeSection('settings')).toBe(settingsTable());
  });

  it('quick start names the curl line that the example config and the demo upstream serve', () => {
    const quickstart = readmeSection('quickstart');
    expect(quickstart).toContain('curl http://localhost:8080/demo/hello');
    const example = readFileSync(join(__dirname, '..', '..', '..', '..', 'gateway', 'examples', 'standalone.yaml'), 'utf8');
    expect(example).toContain('paths: ["/demo/*"]');
  });
});
