import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, configChecksum } from '../../../gateway/src/core/checksum';
import { documentDigest } from '../../../gateway/src/core/resource-digest';
import { formatVersionFile, parseVersionFile, readLastKnownGood, writeLastKnownGood } from '../../../gateway/src/sync';
import { writeAssembledLastKnownGood } from '../../../gateway/src/sync/last-known-good';
import { withCanonicalText, type ConfigVersion } from '../../../gateway/src/store';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

/** The checksum in either form: the digest versions record now, or the sha256 versions stored before recorded. */
const checksumOf = { sum256: documentDigest, sha256: configChecksum } as const;

describe.each(['sum256', 'sha256'] as const)('last-known-good file (%s checksum)', (form) => {
  const version = (n: number): ConfigVersion => {
    const document = documentWithRoutes(2);
    return { version: n, checksum: checksumOf[form](document), author: 'a', message: 'm', intendedDrop: true, routeCount: 2, createdAt: '2026-01-01T00:00:00.000Z', document };
  };

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
    expect(version(3).checksum.startsWith(`${form}:`)).toBe(true);
    await expect(parseVersionFile(JSON.stringify(tampered))).resolves.toEqual({
      ok: false,
      reason: `checksum mismatch (recorded ${version(3).checksum}, content ${checksumOf[form](tampered.document)})`,
    });
    await writeFile(join(dir, `tampered-${form}.json`), JSON.stringify(tampered));
    expect(await readLastKnownGood(join(dir, `tampered-${form}.json`))).toEqual({
      ok: false,
      missing: false,
      reason: `${join(dir, `tampered-${form}.json`)}: checksum mismatch (recorded ${version(3).checksum}, content ${checksumOf[form](tampered.document)})`,
    });
  });

  it('writes the same file whether or not the canonical text was kept', async () => {
    const v = version(4);
    const spliced = formatVersionFile(withCanonicalText({ ...v }, canonicalJson(v.document)));
    expect(JSON.parse(spliced)).toEqual(JSON.parse(formatVersionFile(v)));
    await expect(parseVersionFile(spliced)).resolves.toEqual({ ok: true, version: v });
  });

  it('writes a document built from change sets only when it matches the head, keeping the old file otherwise', async () => {
    const path = join(dir, `assembled-${form}.json`);
    const v = version(5);
    await writeAssembledLastKnownGood(path, v, v.document);
    expect(await readLastKnownGood(path)).toEqual({ ok: true, version: v });
    const built = documentWithRoutes(3);
    await expect(writeAssembledLastKnownGood(path, { ...v, version: 6 }, built)).rejects.toThrow(
      `the document built from change sets has checksum ${checksumOf[form](built)}, version 6 records ${v.checksum}`,
    );
    expect(await readLastKnownGood(path)).toEqual({ ok: true, version: v });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
