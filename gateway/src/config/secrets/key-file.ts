/**
 * Standalone's secrets key when GATEHOUSE_SECRETS_KEYS is unset: generated at first start into
 * `<dataDir>/secrets-key` (0600, one `kid:base64key` entry), so `npm start` works out of the box
 * and the embedded store still only ever holds envelopes.
 */
import { randomBytes } from 'node:crypto';
import { newKeyEntry, parseKeyring, type Keyring } from './keyring';
import { ensurePrivateFile } from './private-file';

export const SECRETS_KEY_FILE = 'secrets-key';

/** Reads the key file, creating it (0600) when missing; returns its path and keyring. */
export async function ensureSecretsKeyFile(dataDir: string): Promise<{ path: string; keyring: Keyring; created: boolean }> {
  const file = await ensurePrivateFile(dataDir, SECRETS_KEY_FILE, () => newKeyEntry(`local-${randomBytes(4).toString('hex')}`));
  return { path: file.path, keyring: parseKeyring(file.content, file.path)!, created: file.created };
}
