/** The keyring: AES-256-GCM envelopes carrying their key id; first key encrypts, every key decrypts. */
import { randomBytes } from 'node:crypto';
import { Keyring, newKeyEntry, parseKeyring } from '../../../gateway/src/config/secrets';
import { derivedKid } from '../../../gateway/src/config/secrets/keyring';
import { GatehouseError } from '../../../gateway/src/core/errors';

const SECRET = 'a-very-long-hs256-secret-0123456789';

describe('secret envelopes', () => {
  const k1 = parseKeyring(newKeyEntry('k1'), 'GATEHOUSE_SECRETS_KEYS')!;

  it('encrypts to an envelope naming the key id, without the plaintext, and decrypts it', () => {
    const envelope = k1.encrypt(SECRET);
    expect(envelope).toMatch(/^\$enc:v1:k1:[A-Za-z0-9_-]+$/);
    expect(envelope).not.toContain(SECRET);
    expect(k1.decrypt(envelope)).toEqual({ ok: true, value: SECRET });
  });

  it('uses a fresh IV each time: two envelopes of one plaintext differ', () => {
    expect(k1.encrypt(SECRET)).not.toBe(k1.encrypt(SECRET));
  });

  it('refuses an envelope under an unknown key id, naming it', () => {
    const k2 = parseKeyring(newKeyEntry('k2'), 'GATEHOUSE_SECRETS_KEYS')!;
    expect(k2.decrypt(k1.encrypt(SECRET))).toEqual({ ok: false, reason: 'it was encrypted under key id "k1", which is not in the keyring (k2)' });
  });

  it('refuses an altered ciphertext and an envelope relabelled with another key id', () => {
    const envelope = k1.encrypt(SECRET);
    const last = envelope.at(-1) === 'A' ? 'B' : 'A';
    expect(k1.decrypt(envelope.slice(0, -1) + last)).toEqual({ ok: false, reason: 'the envelope does not authenticate under key id "k1" (wrong key or altered ciphertext)' });
    const key = randomBytes(32);
    const two = new Keyring([{ kid: 'a', key }, { kid: 'b', key }]);
    expect(two.decrypt(two.encrypt(SECRET).replace('$enc:v1:a:', '$enc:v1:b:')).ok).toBe(false);
  });

  it('with several keys, encrypts under the first and decrypts under any', () => {
    const old = newKeyEntry('old');
    const before = parseKeyring(old, 'X')!;
    const after = parseKeyring(`${newKeyEntry('new')},${old}`, 'X')!;
    expect(after.primaryKid).toBe('new');
    expect(after.decrypt(before.encrypt(SECRET))).toEqual({ ok: true, value: SECRET });
    expect(after.encrypt(SECRET)).toMatch(/^\$enc:v1:new:/);
  });

  it('parses nothing from an empty setting', () => {
    expect(parseKeyring(undefined, 'X')).toBeUndefined();
    expect(parseKeyring(' ', 'X')).toBeUndefined();
  });

  it('rejects malformed entries with the exact problems', () => {
    let err: unknown;
    try {
      parseKeyring(`:${Buffer.alloc(32).toString('base64')},k1:${Buffer.alloc(16).toString('base64')},${newKeyEntry('k2')},${newKeyEntry('k2')}`, 'GATEHOUSE_SECRETS_KEYS');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatehouseError);
    const fix = 'give entries as "kid:base64key" with a 32-byte key; make one with `npx tsx gateway/src/config/secrets/new-key.ts <kid>`.';
    expect((err as GatehouseError).problems).toEqual([
      { path: '/settings/secretsKeys/0', message: 'entry 1 of GATEHOUSE_SECRETS_KEYS has no key id (letters, digits, ".", "_", "-") before ":".', fix },
      { path: '/settings/secretsKeys/1', message: 'entry 2 of GATEHOUSE_SECRETS_KEYS has a key of 16 bytes, not 32.', fix },
      { path: '/settings/secretsKeys/3', message: 'entry 4 of GATEHOUSE_SECRETS_KEYS repeats key id "k2".', fix },
    ]);
  });

  it('takes a bare key as a generated Secrets Manager secret holds it (43 letters and digits), with a key id derived from the key', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const generated = Array.from(randomBytes(43), (b) => alphabet[b % alphabet.length]).join('');
    const ring = parseKeyring(generated, 'GATEHOUSE_SECRETS_KEYS')!;
    const kid = derivedKid(Buffer.from(generated, 'base64'));
    expect(kid).toMatch(/^k[0-9a-f]{8}$/);
    const envelope = ring.encrypt(SECRET);
    expect(envelope.startsWith(`$enc:v1:${kid}:`)).toBe(true);
    // The same key given with that id opens it: rotation can list it explicitly.
    expect(parseKeyring(`k2:${randomBytes(32).toString('base64')},${generated}`, 'X')!.decrypt(envelope)).toEqual({ ok: true, value: SECRET });
  });
});
