/**
 * The file config source (standalone and file-driven data planes): a YAML or JSON file whose optional
 * top-level `settings:` section holds process settings and whose rest is the config document. The
 * file is watched (its directory, so editors that write a new file and rename it over the old one,
 * and symlink swaps, are seen) and every change with new content becomes a new config version.
 * A file that does not parse or validate changes nothing: the last good config keeps running and the
 * log says why, every problem with its JSON path (or line and column for syntax errors).
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Logger } from 'pino';
import { GatehouseError, formatProblems, type Problem } from '../core/errors';
import type { ApplyResult, ConfigSink } from '../data-plane/types';
import { canonicalJson, configChecksum } from '../core/checksum';

/** Quiet time after the last file event before the file is read (editors write in several steps). */
export const DEFAULT_RELOAD_DEBOUNCE_MS = 150;

/** A parsed config file. */
export interface ConfigFile {
  /** The `settings:` section, if any (validated by `loadSettings`). */
  readonly settings: unknown;
  /** Everything else: the config document. */
  readonly document: Record<string, unknown>;
  readonly checksum: string;
}

/** Parses the text of a config file (YAML, of which JSON is a subset). Throws GW_ERR_CONFIG_INVALID with line and column. */
export function parseConfigText(text: string, file: string): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems: Problem[] = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      const where = `line ${at.line}, column ${at.col}`;
      return { path: '', message: `${file}: ${where}: ${e.message.split('\n')[0]}`, fix: 'correct the YAML/JSON syntax at that position.' };
    });
    throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${file} does not parse.`, problems);
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${file} is not a map.`, [
      { path: '', message: `${file} must hold a map (routes, upstreams, consumers, plugins, and optionally settings).`, fix: 'write the config as a YAML or JSON object.' },
    ]);
  const { settings, ...document } = value as Record<string, unknown>;
  return { settings, document, checksum: configChecksum(document) };
}

/** Reads and parses a config file. Throws GW_ERR_CONFIG_INVALID when it cannot be read or parsed. */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${file} cannot be read (${code ?? (err as Error).message}).`, [
      { path: '', message: `cannot read ${file}: ${code ?? (err as Error).message}.`, fix: 'check GATEHOUSE_CONFIG and the file permissions.' },
    ]);
  }
  return parseConfigText(text, file);
}

export interface FileConfigSourceOptions {
  readonly file: string;
  readonly sink: ConfigSink;
  readonly log: Logger;
  readonly debounceMs?: number;
}

/** Feeds a config file to a `ConfigSink`, once at start and again on every change. */
export class FileConfigSource {
  readonly file: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastChecksum: string | undefined;
  private lastSettings: string | undefined;
  private lastVersion = 0;
  private reading: Promise<ApplyResult | undefined> = Promise.resolve(undefined);

  constructor(private readonly options: FileConfigSourceOptions) {
    this.file = resolve(options.file);
  }

  /** Reads the file and applies it. Throws when it cannot be read or parsed; a rejected config is a result. */
  async load(): Promise<ApplyResult> {
    const parsed = readConfigFile(this.file);
    return this.applyParsed(parsed);
  }

  /** Re-reads the file now; a failure is logged and the running config stays. Undefined: content unchanged. */
  reload(): Promise<ApplyResult | undefined> {
    this.reading = this.reading.then(() => this.reloadNow());
    return this.reading;
  }

  private async reloadNow(): Promise<ApplyResult | undefined> {
    let parsed: ConfigFile;
    try {
      parsed = readConfigFile(this.file);
    } catch (err) {
      const problems = err instanceof GatehouseError ? err.problems : [];
      this.options.log.error({ file: this.file, problems }, `config file not reloaded, keeping the running config: ${(err as Error).message}\n${formatProblems(problems)}`);
      return { applied: false, reason: (err as Error).message, problems };
    }
    if (parsed.checksum === this.lastChecksum) {
      this.warnOnSettingsChange(parsed);
      return undefined;
    }
    return this.applyParsed(parsed);
  }

  private async applyParsed(parsed: ConfigFile): Promise<ApplyResult> {
    const version = Math.max(this.lastVersion, this.options.sink.currentVersion ?? 0) + 1;
    const result = await this.options.sink.apply(parsed.document, { version, checksum: parsed.checksum, source: 'file' });
    // A rejected content is remembered too, so that saving the same bad file twice logs it once.
    this.lastChecksum = parsed.checksum;
    if (result.applied) this.lastVersion = version;
    this.warnOnSettingsChange(parsed);
    return result;
  }

  private warnOnSettingsChange(parsed: ConfigFile): void {
    const settings = canonicalJson(parsed.settings ?? {});
    if (this.lastSettings !== undefined && settings !== this.lastSettings)
      this.options.log.warn({ file: this.file }, 'the settings section changed; settings apply at the next restart');
    this.lastSettings = settings;
  }

  /** Starts watching the file's directory; changes are applied after a short quiet time. */
  watch(): void {
    if (this.watcher) return;
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      // Any change in the directory may be ours (rename-replace, symlink swap); the checksum tells.
      if (changed !== null && changed !== name && !changed.startsWith('..')) return;
      this.schedule();
    });
    this.watcher.on('error', (err) => this.options.log.error({ err, file: this.file }, 'watching the config file failed'));
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.options.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS);
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.reading;
  }
}
