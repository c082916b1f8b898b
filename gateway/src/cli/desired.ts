/**
 * The document the CLI sends: the files as they are, or (with `--select-tag`) merged into the live
 * config so that only the tag's resources change; and the live version it was built against, which
 * every write names in If-Match.
 */
import { AdminPaths } from '../control-plane/contract';
import type { AdminClient } from './admin-client';
import { readDesiredConfig, type DesiredConfig } from './config-files';
import { CliError } from './errors';
import { ownedDocument } from './ownership';

export interface Desired {
  document: DesiredConfig['document'];
  locate: DesiredConfig['locate'];
  /** The live version read (0: none yet). */
  baseVersion: number;
}

/** Reads the files and the live config. */
export async function desiredConfig(client: AdminClient, paths: readonly string[], selectTag?: string): Promise<Desired> {
  const files = readDesiredConfig(paths);
  const live = await client.get<DesiredConfig['document']>(AdminPaths.config);
  const baseVersion = Number(live.etag ?? 0);
  if (!selectTag) return { document: files.document, locate: files.locate, baseVersion };
  return { ...ownedDocument(files, live.body, selectTag), baseVersion };
}

/** Rethrows a CliError with the file and line of each problem added. */
export function locatedError(err: unknown, locate: DesiredConfig['locate']): never {
  if (err instanceof CliError && err.problems.length)
    throw new CliError(err.message, err.problems.map((p) => ({ ...locate(p.path), ...p })), err.code, err.exitCode);
  throw err;
}
