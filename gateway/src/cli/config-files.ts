/**
 * The desired config as files: one document or several (a directory, or one file per kind as `dump
 * --dir` writes them), YAML or JSON, merged into one document. `${NAME}` is replaced by the
 * environment variable (`$${` writes a literal `${`); inside plugin settings, where secrets live, it is
 * refused: secrets are written as `$env://NAME` or `$secret://aws/…`, which stay references in the
 * store. Every item remembers its file, so a problem's JSON path is reported with file and line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { CliError, type LocatedProblem } from './errors';

const KINDS = ['routes', 'upstreams', 'consumers'] as const;
const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Where one part of the merged document came from. */
interface Origin {
  file: string;
  doc: Document;
  lines: LineCounter;
  /** Path of the item (or of the whole document) inside its file. */
  base: (string | number)[];
}

export interface DesiredConfig {
  document: { routes: Record<string, unknown>[]; upstreams: Record<string, unknown>[]; consumers: Record<string, unknown>[]; plugins: Record<string, unknown> };
  /** Whether any file had a top-level `plugins` section (global plugin settings). */
  hasGlobalPlugins: boolean;
  /** File and line of a JSON pointer into `document`, when known. */
  locate(pointer: string): { file: string; line?: number } | undefined;
}

/** The config files named by `paths` (directories: their YAML and JSON files, sorted). */
export function configFiles(paths: readonly string[]): string[] {
  if (!paths.length) throw new CliError('name at least one config file or directory.');
  return paths.flatMap((p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`${p}: no such file or directory.`);
    }
    if (!st.isDirectory()) return [p];
    return readdirSync(p)
      .filter((f) => CONFIG_EXTENSIONS.has(extname(f)))
      .sort()
      .map((f) => join(p, f));
  });
}

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** Replaces `${NAME}` in every string under `value`; collects problems (unset variable, inside plugin settings). */
function substitute(value: unknown, path: (string | number)[], env: NodeJS.ProcessEnv, report: (path: (string | number)[], message: string, fix: string) => void): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    if (path.includes('plugins'))
      return report(path, 'plugin settings may hold secrets, so ${…} is not substituted here.', 'write a secret as $env://NAME (resolved by the gateway, never stored) and other plugin values literally.'), value;
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const v = env[name];
      if (v === undefined) report(path, `environment variable ${name} is not set.`, `set ${name}, or write $\${${name}} for a literal "\${${name}}".`);
      return v ?? whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...path, i], env, report));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, [...path, k], env, report)]));
  return value;
}

function lineOf(origin: Origin, rest: (string | number)[]): number | undefined {
  // The deepest node that exists along the path (a missing field is reported at its parent).
  for (let n = rest.length; n >= 0; n--) {
    const node = origin.doc.getIn([...origin.base, ...rest.slice(0, n)], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return origin.lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Reads, substitutes and merges the files; throws a CliError listing every problem with file and line. */
export function readDesiredConfig(paths: readonly string[], env: NodeJS.ProcessEnv = process.env): DesiredConfig {
  const document: DesiredConfig['document'] = { routes: [], upstreams: [], consumers: [], plugins: {} };
  const itemOrigins: Record<(typeof KINDS)[number], Origin[]> = { routes: [], upstreams: [], consumers: [] };
  const pluginOrigins = new Map<string, Origin>();
  const problems: LocatedProblem[] = [];
  let hasGlobalPlugins = false;
  for (const file of configFiles(paths)) {
    const lines = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ file, line: lines.linePos(e.pos[0]).line, path: '', message: `does not parse: ${e.message.split('\n')[0]}`, fix: 'correct the YAML (or JSON) syntax.' });
      continue;
    }
    const origin = (base: (string | number)[]): Origin => ({ file, doc, lines, base });
    const report = (path: (string | number)[], message: string, fix: string) =>
      problems.push({ file, line: lineOf(origin([]), path), path: '/' + path.join('/'), message, fix });
    const raw = substitute(doc.toJS(), [], env, report) as Record<string, unknown> | null;
    if (raw === null || raw === undefined) continue;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      report([], 'a config file must be a mapping with routes, upstreams, consumers or plugins.', 'write the file as "routes: [...]" and so on.');
      continue;
    }
    for (const [key, value] of Object.entries(raw)) {
      if ((KINDS as readonly string[]).includes(key)) {
        const kind = key as (typeof KINDS)[number];
        if (!Array.isArray(value)) {
          report([key], `${key} must be a list.`, `write ${key} as a list of items ("- id: …").`);
          continue;
        }
        value.forEach((item, i) => {
          document[kind].push(item as Record<string, unknown>);
          itemOrigins[kind].push(origin([key, i]));
        });
      } else if (key === 'plugins') {
        hasGlobalPlugins = true;
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          report([key], 'plugins must be a mapping of plugin name to settings.', 'write plugins as "plugins: { cors: {...} }".');
          continue;
        }
        for (const [name, conf] of Object.entries(value)) {
          if (name in document.plugins) report([key, name], `plugin "${name}" is set in more than one file.`, 'set each global plugin in one file only.');
          document.plugins[name] = conf;
          pluginOrigins.set(name, origin([key, name]));
        }
      } else report([key], `unknown top-level key "${key}".`, 'use routes, upstreams, consumers and plugins only.');
    }
  }
  if (problems.length) throw new CliError(`the config files have ${problems.length} problem(s).`, problems);
  return {
    document,
    hasGlobalPlugins,
    locate(pointer) {
      const [kind, key, ...rest] = pointer.split('/').slice(1).map(unescapePointer) as [string, string, ...string[]];
      const origin = kind === 'plugins' ? pluginOrigins.get(key) : itemOrigins[kind as (typeof KINDS)[number]]?.[Number(key)];
      if (!origin) return undefined;
      return { file: origin.file, line: lineOf(origin, rest.map((r) => (/^\d+$/.test(r) ? Number(r) : r))) };
    },
  };
}

/** `problems` with the file and line of each path added where known. */
export function locateProblems(desired: Pick<DesiredConfig, 'locate'>, problems: readonly LocatedProblem[]): LocatedProblem[] {
  return problems.map((p) => ({ ...desired.locate(p.path), ...p }));
}
