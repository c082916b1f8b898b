/** The standalone admin token: generated at first start into `<dataDir>/admin-token` with 0600 permissions. */
import { ensurePrivateFile } from '../../config/secrets/private-file';
import { hashToken, newToken, type TokenEntry } from './tokens';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** Reads the token file, creating it (0600) when missing; returns its path and admin entry, never the token. */
export async function ensureAdminTokenFile(dataDir: string): Promise<{ path: string; entry: TokenEntry; created: boolean }> {
  const file = await ensurePrivateFile(dataDir, ADMIN_TOKEN_FILE, newToken);
  return { path: file.path, entry: { role: 'admin', hash: hashToken(file.content) }, created: file.created };
}
