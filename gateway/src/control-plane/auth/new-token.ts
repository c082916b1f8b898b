/**
 * Makes an admin API token: prints the token (give it to the operator or a secret store) and the
 * `role:sha256` entry for GATEHOUSE_ADMIN_TOKENS (the only thing the gateway keeps).
 * Usage: npx tsx gateway/src/control-plane/auth/new-token.ts [admin|viewer]
 */
import { hashToken, newToken } from './tokens';

const role = process.argv[2] ?? 'admin';
if (role !== 'admin' && role !== 'viewer') {
  process.stderr.write(`unknown role "${role}": use admin or viewer\n`);
  process.exit(2);
}
const token = newToken();
process.stdout.write(`token:  ${token}\nentry:  ${role}:${hashToken(token)}\n`);
