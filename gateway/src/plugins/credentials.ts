/**
 * How credentials are stored: API keys as SHA-256 (`sha256$<hex>`; keys are long random values, so
 * a fast hash is enough and allows a map lookup), passwords as scrypt
 * (`scrypt$N$r$p$<salt base64>$<hash base64>`; slow on purpose).
 */
import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export const KEY_HASH_PATTERN = '^sha256\\$[0-9a-f]{64}$';
export const PASSWORD_HASH_PATTERN = '^scrypt\\$\\d+\\$\\d+\\$\\d+\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$';

/** scrypt cost parameters for new hashes: N=2^15, r=8, p=1 (32 MiB, tens of milliseconds). */
export const DEFAULT_SCRYPT = { N: 32_768, r: 8, p: 1 } as const;
const SCRYPT_KEY_BYTES = 32;
const SALT_BYTES = 16;

/**
 * The stored form of an API key. It runs for every request key-auth sees, so it is the one-shot
 * `crypto.hash` (Node ≥ 20.12), about a quarter of the CPU of a `createHash` object per call.
 */
export function hashKey(key: string): string {
  return 'sha256$' + hash('sha256', key, 'hex');
}

export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Parses a stored password hash; returns a reason when it is not usable. */
export function parsePasswordHash(text: string): ScryptHash | string {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'expected scrypt$N$r$p$salt$hash';
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(N) || N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0) return 'N must be a power of two between 1024 and 1048576';
  if (!Number.isInteger(r) || r < 1 || r > 32) return 'r must be between 1 and 32';
  if (!Number.isInteger(p) || p < 1 || p > 16) return 'p must be between 1 and 16';
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8) return 'the salt must be at least 8 bytes';
  if (hash.length < 16) return 'the hash must be at least 16 bytes';
  return { N, r, p, salt, hash };
}

function derive(password: string, h: { N: number; r: number; p: number; salt: Buffer }, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, h.salt, length, { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1_048_576 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password for a consumer's `basic-auth.passwordHash`. */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, { ...cost, salt }, SCRYPT_KEY_BYTES);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a parsed hash in constant time (scrypt runs on the libuv pool, off the event loop). */
export async function verifyPassword(password: string, stored: ScryptHash): Promise<boolean> {
  const derived = await derive(password, stored, stored.hash.length);
  return timingSafeEqual(derived, stored.hash);
}
