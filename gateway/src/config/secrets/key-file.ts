/**
 * Standalone's secrets key when GATEHOUSE_SECRETS_KEYS is unset: generated at first start into
 * `<dataDir>/secrets-key` (0600, one `kid:base64key` entry), so `npm start` works out of the box
 * and the embedded store still only ever holds envelopes.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newKeyEntry, parseKeyring, type Keyring } from './keyring';

export const SECRETS_KEY_FILE = 'secrets-key';

/** Reads the key file, creating it (0600) when missing; returns its path and keyring. */
export async function ensureSecretsKeyFile(dataDir: string): Promise<{ path: string; keyring: Keyring; created: boolean }> {
  const path = join(dataDir, SECRETS_KEY_FILE);
  let entry: string | undefined;
  let created = false;
  try {
    entry = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!entry) {
    await mkdir(dataDir, { recursive: true });
    entry = newKeyEntry(`local-${randomBytes(4).toString('hex')}`);
    // 'wx' fails if another process created it meanwhile, instead of overwriting its key.
    await writeFile(path, entry + '\n', { mode: 0o600, flag: 'wx' });
    created = true;
  }
  await chmod(path, 0o600);
  return { path, keyring: parseKeyring(entry, path)!, created };
}
