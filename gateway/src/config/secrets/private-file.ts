/**
 * A generated credential file in the data dir (the standalone admin token, the standalone secrets
 * key): read it, or create it with mode 0600 when missing or empty, without ever overwriting one that
 * another process created meanwhile.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file's trimmed content, creating it from `generate()` when missing; `created` says which. */
export async function ensurePrivateFile(dir: string, name: string, generate: () => string): Promise<{ path: string; content: string; created: boolean }> {
  const path = join(dir, name);
  let content: string | undefined;
  let created = false;
  try {
    content = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!content) {
    await mkdir(dir, { recursive: true });
    content = generate();
    // 'wx' fails if another process created it meanwhile, instead of overwriting its content.
    await writeFile(path, content + '\n', { mode: 0o600, flag: 'wx' });
    created = true;
  }
  await chmod(path, 0o600);
  return { path, content, created };
}
