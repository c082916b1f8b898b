/**
 * Makes a secrets key entry for GATEHOUSE_SECRETS_KEYS: `kid:base64key` (32 random bytes).
 * Usage: npx tsx gateway/src/config/secrets/new-key.ts [kid]
 */
import { newKeyEntry } from './keyring';

const kid = process.argv[2] ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) {
  process.stderr.write(`key id "${kid}" may only hold letters, digits, ".", "_" and "-"\n`);
  process.exit(2);
}
process.stdout.write(newKeyEntry(kid) + '\n');
