import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, configChecksum } from '../../../gateway/src/core/checksum';
import { formatVersionFile, parseVersionFile, readLastKnownGood, writeLastKnownGood } from '../../../gateway/src/sync';
import { withCanonicalText, type ConfigVersion } from '../../../gateway/src/store';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

const version = (n: number): ConfigVersion => {
  const document = documentWithRoutes(2);
  return { version: n, checksum: configChecksum(document), author: 'a', message: 'm', intendedDrop: true, routeCount: 2, createdAt: '2026-01-01T00:00:00.000Z', document };
};

describe('last-known-good file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-lkg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the file atomically with mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'sub', 'lkg.json');
    await writeLastKnownGood(path, version(1));
    await writeLastKnownGood(path, version(2));
    expect(await readdir(join(dir, 'sub'))).toEqual(['lkg.json']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const read = await readLastKnownGood(path);
    expect(read).toEqual({ ok: true, version: version(2) });
  });

  it('reports a missing file, bad JSON and a checksum mismatch with the reason', async () => {
    expect(await readLastKnownGood(join(dir, 'none.json'))).toEqual({ ok: false, missing: true, reason: `${join(dir, 'none.json')} does not exist` });
    await writeFile(join(dir, 'bad.json'), '{"version": 1,');
    const bad = await readLastKnownGood(join(dir, 'bad.json'));
    expect(bad.ok === false && bad.reason).toMatch(/bad\.json: not valid JSON/);
    const tampered = JSON.parse(formatVersionFile(version(3)));
    tampered.document.routes.pop();
    expect(parseVersionFile(JSON.stringify(tampered))).toEqual({
      ok: false,
      reason: `checksum mismatch (recorded ${version(3).checksum}, content ${configChecksum(tampered.document)})`,
    });
  });

  it('writes the same file whether or not the canonical text was kept', () => {
    const v = version(4);
    const spliced = formatVersionFile(withCanonicalText({ ...v }, canonicalJson(v.document)));
    expect(JSON.parse(spliced)).toEqual(JSON.parse(formatVersionFile(v)));
    expect(parseVersionFile(spliced)).toEqual({ ok: true, version: v });
  });
});
