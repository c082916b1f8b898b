/** The last-known-good file: the last applied version, rewritten atomically so a crash never leaves half a file. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ConfigVersion } from '../store/types';
import { formatVersionFile, parseVersionFile } from './version-file';

/** Writes `version` to `path`: temp file in the same directory, fsync, rename over, fsync the directory. */
export async function writeLastKnownGood(path: string, version: ConfigVersion): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(formatVersionFile(version));
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await file.close();
  await rename(temp, path);
  // The rename is only durable once the directory entry is on disk.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export type LastKnownGoodRead = { ok: true; version: ConfigVersion } | { ok: false; missing: boolean; reason: string };

/** Reads and verifies the last-known-good file. */
export async function readLastKnownGood(path: string): Promise<LastKnownGoodRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, reason: missing ? `${path} does not exist` : `${path}: ${(err as Error).message}` };
  }
  const parsed = parseVersionFile(text);
  return parsed.ok ? parsed : { ok: false, missing: false, reason: `${path}: ${parsed.reason}` };
}
