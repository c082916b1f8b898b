/**
 * The import rules: every relative import under gateway/src is checked against the layers table of
 * docs/DESIGN.md, read from the document itself so that the table and the test cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SRC = resolve(ROOT, 'gateway/src');
const DESIGN = readFileSync(resolve(__dirname, '../../docs/DESIGN.md'), 'utf8');

/** Layer name of a file or import target: its top-level folder; `plugins/contract.ts` and `main.ts` stand alone. */
function layerOf(file: string): string {
  const path = relative(SRC, file).split('\\').join('/').replace(/(\/index)?(\.ts)?$/, '');
  if (path === 'plugins/contract') return 'contract';
  if (path === 'demo' || path.startsWith('demo/')) return 'main.ts'; // composition with main.ts (DESIGN.md, under the table)
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : path === 'main' ? 'main.ts' : path;
}

/** `layer -> layers it may import`, from the table rows: | `core/` | holds | may import |. */
function allowList(): Map<string, readonly string[] | 'anything'> {
  const rows = [...DESIGN.matchAll(/^\| (`[^|]+`) \| [^|]+ \| ([^|]+) \|$/gm)];
  const allowed = new Map<string, readonly string[] | 'anything'>();
  for (const [, names, mayImport] of rows) {
    const may = mayImport!.trim();
    const list = may === 'anything' ? 'anything' : may === 'nothing of ours' ? [] : may.split(', ');
    for (const [, name] of names!.matchAll(/`([^`]+)`/g)) allowed.set(name === 'plugins/contract.ts' ? 'contract' : name.replace(/\/$/, ''), list);
  }
  return allowed;
}

/** Every relative import of `file`, resolved to a path under the repository. */
const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import\(|require\()\s*['"](\.[^'"]+)['"]/g)].map(([, spec]) => resolve(dirname(file), spec!));

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('import rules (docs/DESIGN.md, layers table)', () => {
  it('reads a rule for every layer', () => {
    expect([...allowList().keys()].sort()).toEqual(['config', 'contract', 'control-plane', 'core', 'data-plane', 'main.ts', 'plugins', 'roles', 'settings', 'store', 'sync']);
  });

  it('has a rule for everything at the top of gateway/src (the parts section matches the tree)', () => {
    const allowed = allowList();
    const top = readdirSync(SRC).map((name) => layerOf(join(SRC, name)));
    expect([...new Set(top)].filter((layer) => !allowed.has(layer))).toEqual([]);
  });

  it('keeps test/ out of bench/ and support/, and gateway code out of support/', () => {
    const violations: string[] = [];
    for (const dir of ['bench', 'support'])
      for (const file of files(join(ROOT, dir)))
        for (const target of importsOf(file)) {
          const where = relative(ROOT, target).split('\\').join('/');
          if (where.startsWith('test/') || (dir === 'support' && where.startsWith('gateway/'))) violations.push(`${relative(ROOT, file)} -> ${where}`);
        }
    expect(violations).toEqual([]);
  });

  it('lets every relative import under gateway/src reach only its own layer or one the table allows', () => {
    const allowed = allowList();
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const from = layerOf(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import\(|require\()\s*['"](\.[^'"]+)['"]/g)) {
        const to = layerOf(resolve(dirname(file), spec!));
        const may = allowed.get(from);
        if (to === from || may === 'anything' || may?.includes(to)) continue;
        violations.push(`${relative(SRC, file).split('\\').join('/')} -> ${spec} (${from} may not import ${to})`);
      }
    }
    expect(violations.sort()).toEqual([]);
  });
});
