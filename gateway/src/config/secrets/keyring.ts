/**
 * The secrets keyring: AES-256-GCM keys by key id. The first key encrypts, every key decrypts, so
 * a new key is rolled out by listing it first while the old one stays until every envelope was
 * re-encrypted (docs/RUNBOOK.md). Spec format: `kid:base64key[,kid:base64key…]` (GATEHOUSE_SECRETS_KEYS); a bare `base64key` gets a key id derived from the key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { GatehouseError, type Problem } from '../../core/errors';
import { parseSecretValue } from './value';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[A-Za-z0-9._-]{1,64}$/;

export type Decrypted = { ok: true; value: string } | { ok: false; reason: string };

/** The associated data binds the ciphertext to its format version and key id. */
const aad = (kid: string) => Buffer.from(`gatehouse-secret:v1:${kid}`);

export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** @param entries key id and 32-byte key, the encrypting key first */
  constructor(entries: readonly { kid: string; key: Buffer }[]) {
    if (!entries.length) throw new Error('a keyring needs at least one key');
    this.keys = new Map(entries.map((e) => [e.kid, e.key]));
    this.primaryKid = entries[0]!.kid;
  }

  /** The id of the key new envelopes are encrypted with. */
  readonly primaryKid: string;

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** An envelope `$enc:v1:<kid>:<base64url(iv | tag | ciphertext)>` of `plaintext` under the primary key. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.primaryKid)!, iv).setAAD(aad(this.primaryKid));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `$enc:v1:${this.primaryKid}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext of an envelope, or why it cannot be had (not an envelope, unknown key id, tampered). */
  decrypt(envelope: string): Decrypted {
    const parsed = parseSecretValue(envelope);
    if (parsed.kind !== 'envelope') return { ok: false, reason: 'the value is not an encrypted envelope' };
    const key = this.keys.get(parsed.kid);
    if (!key) return { ok: false, reason: `it was encrypted under key id "${parsed.kid}", which is not in the keyring (${this.kids.join(', ')})` };
    const raw = Buffer.from(parsed.payload, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return { ok: false, reason: 'the envelope is truncated' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES)).setAAD(aad(parsed.kid));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return { ok: true, value: Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8') };
    } catch {
      return { ok: false, reason: `the envelope does not authenticate under key id "${parsed.kid}" (wrong key or altered ciphertext)` };
    }
  }
}

/** A new key entry `kid:base64key` for GATEHOUSE_SECRETS_KEYS. */
export function newKeyEntry(kid: string): string {
  return `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** The key id of an entry given without one: `k` and the first 8 hex digits of the key's SHA-256. */
export function derivedKid(key: Buffer): string {
  return 'k' + createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * Parses `kid:base64key[,…]` (an entry without `kid:` gets `derivedKid`); undefined when empty. Throws GW_ERR_SETTINGS_INVALID naming `setting`
 * (the env var or file it came from) and the fix.
 */
export function parseKeyring(spec: string | undefined, setting: string): Keyring | undefined {
  if (!spec?.trim()) return undefined;
  const problems: Problem[] = [];
  const entries: { kid: string; key: Buffer }[] = [];
  spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((item, i) => {
      const colon = item.indexOf(':');
      const key = Buffer.from(item.slice(colon + 1), 'base64');
      // A bare key (what a generated Secrets Manager secret holds) gets a key id derived from the key.
      const kid = colon < 0 ? derivedKid(key) : item.slice(0, colon);
      const problem = colon === 0 || !KID.test(kid) ? 'has no key id (letters, digits, ".", "_", "-") before ":"' : key.length !== KEY_BYTES ? `has a key of ${key.length} bytes, not ${KEY_BYTES}` : entries.some((e) => e.kid === kid) ? `repeats key id "${kid}"` : undefined;
      if (problem)
        problems.push({
          path: `/settings/secretsKeys/${i}`,
          message: `entry ${i + 1} of ${setting} ${problem}.`,
          fix: 'give entries as "kid:base64key" with a 32-byte key; make one with `npx tsx gateway/src/config/secrets/new-key.ts <kid>`.',
        });
      else entries.push({ kid, key });
    });
  if (problems.length) throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, problems);
  return new Keyring(entries);
}
