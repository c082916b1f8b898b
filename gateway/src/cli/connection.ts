/**
 * Where the admin API is and which token to send, from (first wins) flags, environment, or a context
 * file. The token is read from a file or the environment, never from a flag (it would show in `ps`
 * and shell history), and is never printed.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
  context?: string;
  contextFile?: string;
}

export interface Connection {
  readonly url: string;
  readonly token: string;
}

/** Environment variables the CLI reads. */
export const CliEnv = {
  url: 'GATEHOUSE_ADMIN_URL',
  token: 'GATEHOUSE_ADMIN_TOKEN',
  tokenFile: 'GATEHOUSE_ADMIN_TOKEN_FILE',
  context: 'GATEHOUSE_CONTEXT',
  contextFile: 'GATEHOUSE_CONTEXT_FILE',
} as const;

/** The default context file: `contexts: { <name>: { url, tokenFile } }` and `current: <name>`. */
export const defaultContextFile = (): string => join(homedir(), '.config', 'gatehouse', 'contexts.yaml');

interface ContextEntry {
  url?: string;
  tokenFile?: string;
}

function readContext(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ContextEntry {
  const file = flags.contextFile ?? env[CliEnv.contextFile] ?? defaultContextFile();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (flags.context || env[CliEnv.context] || flags.contextFile || env[CliEnv.contextFile]) throw new CliError(`cannot read the context file ${file}; create it or pass --url.`);
    return {};
  }
  const parsed = (parse(text) ?? {}) as { current?: string; contexts?: Record<string, ContextEntry> };
  const name = flags.context ?? env[CliEnv.context] ?? parsed.current;
  if (!name) return {};
  const entry = parsed.contexts?.[name];
  if (!entry) throw new CliError(`context "${name}" is not in ${file}; it has: ${Object.keys(parsed.contexts ?? {}).join(', ') || 'none'}.`);
  return entry;
}

function readToken(file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  } catch {
    /* reported below */
  }
  throw new CliError(`cannot read a token from ${file}; write the admin (or viewer) token into it.`);
}

/** Resolves the connection; throws a CliError that says what to set when something is missing. */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const context = readContext(flags, env);
  const url = flags.url ?? env[CliEnv.url] ?? context.url;
  if (!url) throw new CliError(`no admin API address: pass --url, set ${CliEnv.url}, or add a context (${defaultContextFile()}).`);
  if (!/^https?:\/\//.test(url)) throw new CliError(`the admin API address "${url}" must start with http:// or https://.`);
  const tokenFile = flags.tokenFile ?? env[CliEnv.tokenFile] ?? context.tokenFile;
  const token = tokenFile ? readToken(tokenFile) : env[CliEnv.token];
  if (!token) throw new CliError(`no admin token: pass --token-file, set ${CliEnv.tokenFile} or ${CliEnv.token}, or add tokenFile to the context.`);
  return { url: url.replace(/\/+$/, ''), token };
}
