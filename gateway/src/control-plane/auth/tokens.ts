/**
 * Admin API tokens. A token is 32 random bytes (256 bits), so a plain SHA-256 of it is enough to
 * store: slow password hashes exist to protect guessable secrets, and a 256-bit random token cannot
 * be guessed, while a fast hash keeps each request cheap. Presented tokens are hashed and compared
 * with every stored hash in constant time, without stopping at the first match.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatehouseError, type Problem } from '../../core/errors';

export type AdminRole = 'admin' | 'viewer';

export interface TokenEntry {
  readonly role: AdminRole;
  /** SHA-256 of the token, hex. */
  readonly hash: string;
}

const TOKEN_PREFIX = 'gh_';

/** A new random token (`gh_` + 43 base64url characters). */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses `role:sha256hex[,role:sha256hex…]` (the GATEHOUSE_ADMIN_TOKENS setting). */
export function parseTokenEntries(spec: string | undefined): TokenEntry[] {
  if (!spec) return [];
  const problems: Problem[] = [];
  const entries: TokenEntry[] = [];
  spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((item, i) => {
      const m = /^(admin|viewer):([0-9a-f]{64})$/i.exec(item);
      if (m) entries.push({ role: m[1]!.toLowerCase() as AdminRole, hash: m[2]!.toLowerCase() });
      else
        problems.push({
          path: `/settings/adminTokens/${i}`,
          message: `entry ${i + 1} is not "admin:<sha256 hex>" or "viewer:<sha256 hex>" (env GATEHOUSE_ADMIN_TOKENS).`,
          fix: 'make an entry with `npx tsx gateway/src/control-plane/auth/new-token.ts admin` and never put the raw token here.',
        });
    });
  if (problems.length) throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, problems);
  return entries;
}

/** Checks presented tokens against the stored hashes. */
export class TokenVerifier {
  private readonly entries: { role: AdminRole; hash: Buffer }[];

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries.map((e) => ({ role: e.role, hash: Buffer.from(e.hash, 'hex') }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The role of a valid token (and a short id for audit), or undefined. */
  verify(token: string): { role: AdminRole; id: string } | undefined {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: { role: AdminRole; id: string } | undefined;
    for (const e of this.entries) {
      // No early exit: the time taken does not depend on which entry matched.
      if (timingSafeEqual(presented, e.hash) && !found) found = { role: e.role, id: e.hash.toString('hex').slice(0, 8) };
    }
    return found;
  }
}
