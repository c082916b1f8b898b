/** The docs and the kit point readers only at files that are in the repository. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const READ = [join(ROOT, 'README.md'), ...filesUnder(join(ROOT, 'docs')), ...filesUnder(join(ROOT, 'infra'))].filter((f) => /\.(md|ts|js|yaml)$/.test(f));

describe('references in docs and the kit', () => {
  test('no file names a path outside the repository', () => {
    const outside = READ.filter((f) => /(^|[\s`(])\/work\/|notes\/[a-z-]+\.md/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(outside).toEqual([]);
  });

  test('every repository path the docs name in backticks exists', () => {
    const missing: string[] = [];
    for (const file of READ.filter((f) => f.endsWith('.md')))
      for (const [, path] of readFileSync(file, 'utf8').matchAll(/`((?:infra|docs|gateway|test)\/[A-Za-z0-9_./-]+\.(?:ts|js|md|yaml))`/g))
        if (!existsSync(join(ROOT, path as string))) missing.push(`${relative(ROOT, file)}: ${path}`);
    expect(missing).toEqual([]);
  });
});
