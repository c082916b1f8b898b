/** Standalone's generated secrets key: created once (0600), then read back unchanged. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSecretsKeyFile } from '../../../gateway/src/config/secrets';

describe('secrets key file', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'gh-key-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a 0600 key entry at first start and reuses it, so envelopes survive restarts', async () => {
    const first = await ensureSecretsKeyFile(join(dir, 'data'));
    expect(first.created).toBe(true);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await readFile(first.path, 'utf8')).trim()).toMatch(/^local-[0-9a-f]{8}:[A-Za-z0-9+/]{43}=$/);
    const envelope = first.keyring.encrypt('standalone-secret-0123456789abcdef');
    const second = await ensureSecretsKeyFile(join(dir, 'data'));
    expect(second.created).toBe(false);
    expect(second.keyring.primaryKid).toBe(first.keyring.primaryKid);
    expect(second.keyring.decrypt(envelope)).toEqual({ ok: true, value: 'standalone-secret-0123456789abcdef' });
  });
});
