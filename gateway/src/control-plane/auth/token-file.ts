/** The standalone admin token: generated at first start into `<dataDir>/admin-token` with 0600 permissions. */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashToken, newToken, type TokenEntry } from './tokens';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** Reads the token file, creating it (0600) when missing; returns its path and admin entry, never the token. */
export async function ensureAdminTokenFile(dataDir: string): Promise<{ path: string; entry: TokenEntry; created: boolean }> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  let token: string | undefined;
  let created = false;
  try {
    token = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!token) {
    await mkdir(dataDir, { recursive: true });
    token = newToken();
    // 'wx' fails if another process created it meanwhile, instead of overwriting its token.
    await writeFile(path, token + '\n', { mode: 0o600, flag: 'wx' });
    created = true;
  }
  await chmod(path, 0o600);
  return { path, entry: { role: 'admin', hash: hashToken(token) }, created };
}
