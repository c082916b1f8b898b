/** The last-known-good file: the last applied version, rewritten atomically so a crash never leaves half a file. */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { GatewayConfig } from '../config/schema';
import { documentTextChunks } from '../config/change-set';
import { actualChecksumInSlices } from '../core/version-checksum';
import type { ConfigVersionHead } from '../store/types';
import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ConfigVersion } from '../store/types';
import { formatVersionFile, parseVersionFile } from './version-file';

/** Writes `version` to `path`: temp file in the same directory, fsync, rename over, fsync the directory. */
export async function writeLastKnownGood(path: string, version: ConfigVersion): Promise<void> {
  await replaceFile(path, (file) => file.writeFile(formatVersionFile(version)));
}

/**
 * Writes a version assembled by applying change sets, a few hundred resources per write so the event
 * loop is never held for long, then checks the document against the head's checksum (in slices):
 * throws (and leaves the old file) when it does not match, the whole-document check of what the
 * change sets built.
 */
export async function writeAssembledLastKnownGood(path: string, head: ConfigVersionHead, document: GatewayConfig): Promise<void> {
  const { version, checksum, author, message, intendedDrop, routeCount, createdAt } = head;
  const prefix = JSON.stringify({ version, checksum, author, message, intendedDrop, routeCount, createdAt });
  await replaceFile(path, async (file) => {
    await file.write(`${prefix.slice(0, -1)},"document":`);
    for (const chunk of documentTextChunks(document)) await file.write(chunk);
    await file.write('}');
    const actual = await actualChecksumInSlices({ checksum, document });
    if (actual !== checksum) throw new Error(`the document built from change sets has checksum ${actual}, version ${version} records ${checksum}`);
  });
}

async function replaceFile(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'w', 0o600);
  try {
    await write(file);
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
  const parsed = await parseVersionFile(text);
  return parsed.ok ? parsed : { ok: false, missing: false, reason: `${path}: ${parsed.reason}` };
}
