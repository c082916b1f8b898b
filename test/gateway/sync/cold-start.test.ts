import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { configChecksum } from '../../../gateway/src/core/checksum';
import { documentDigest } from '../../../gateway/src/core/resource-digest';
import { ConfigSync, putLatest, putVersion, writeLastKnownGood } from '../../../gateway/src/sync';
import { type SourceLogger } from '../../../gateway/src/core/logger';
import { GatehouseError } from '../../../gateway/src/core/errors';
import { openConfigStore, type ConfigStore, type ConfigVersion } from '../../../gateway/src/store';
import { freePort } from '../../helpers/control-plane/postgres-server';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { RecordingSink } from '../../helpers/control-plane/recording-sink';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';

/** A version as stored before the digest became the checksum (sha256 of the canonical text). */
const versionOf = (n: number, routes: number, extra: Partial<ConfigVersion> = {}): ConfigVersion => {
  const document = documentWithRoutes(routes);
  return { version: n, checksum: configChecksum(document), author: 't', message: '', intendedDrop: false, routeCount: routes, createdAt: new Date().toISOString(), document, ...extra };
};

/** A version as written now: its digest is its checksum. */
const digestVersionOf = (n: number, routes: number): ConfigVersion => {
  const v = versionOf(n, routes);
  return { ...v, checksum: documentDigest(v.document) };
};

describe('data plane cold start: store → last-known-good file → S3', () => {
  let dir: string;
  let s3: TestS3;
  let downStore: ConfigStore;
  const syncs: ConfigSync[] = [];

  const start = async (options: { lkg?: string; s3?: boolean; startWithoutConfig?: boolean; store?: ConfigStore }) => {
    const sink = new RecordingSink();
    const warnings: string[] = [];
    const logger: SourceLogger = { info: () => undefined, error: (_o, m) => warnings.push(m), warn: (_o, m) => warnings.push(m) };
    const sync = new ConfigSync({
      sink,
      store: options.store ?? downStore,
      lastKnownGoodFile: options.lkg,
      s3: options.s3 ? { client: s3.client, location: s3.location } : undefined,
      pollIntervalMs: 60_000,
      startWithoutConfig: options.startWithoutConfig ?? false,
      dropGuardPercent: 50,
      reconnectBaseMs: 60_000,
      logger,
      registry: new Registry(),
    });
    syncs.push(sync);
    return { sink, warnings, result: sync.start() };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-cold-'));
    s3 = await startS3('cold-start', 'cold');
    // Nothing listens on this port: the store is down (connect fails at once).
    downStore = await openConfigStore({ databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/none`, migrate: false });
  });
  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await downStore.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with a clear error naming each source when nothing can be loaded', async () => {
    const { result } = await start({ lkg: join(dir, 'missing.json'), s3: true });
    const err = (await result.catch((e: unknown) => e)) as GatehouseError;
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err.code).toBe('GW_ERR_NO_CONFIG');
    expect(err.message).toContain('No config version could be loaded from the store, the last-known-good file or the S3 backup. Tried, in order:');
    expect(err.message).toMatch(/\n {2}- store: .*ECONNREFUSED/);
    expect(err.message).toContain(`\n  - last-known-good: ${join(dir, 'missing.json')} does not exist`);
    expect(err.message).toContain('\n  - s3: s3://cold-start/cold/latest does not exist');
    expect(err.message).toContain('GATEHOUSE_START_WITHOUT_CONFIG=true');
  });

  it('starts unready instead when startWithoutConfig is on', async () => {
    const { result, sink } = await start({ startWithoutConfig: true });
    expect(await result).toEqual({ loaded: false, source: undefined, version: undefined });
    expect(sink.currentVersion).toBeUndefined();
  });

  it('starts from S3 when the store is down and there is no file', async () => {
    const v = versionOf(7, 3);
    await putVersion(s3.client, s3.location, v);
    await putLatest(s3.client, s3.location, v);
    const { result, sink } = await start({ lkg: join(dir, 'none.json'), s3: true });
    expect(await result).toEqual({ loaded: true, source: 's3', version: 7 });
    expect(sink.current!.meta).toEqual({ version: 7, checksum: v.checksum, source: 's3' });
    // What came from S3 becomes the local last-known-good.
    expect(JSON.parse(await readFile(join(dir, 'none.json'), 'utf8')).version).toBe(7);
  });

  it('starts from the last-known-good file when the store is down', async () => {
    const path = join(dir, 'lkg.json');
    await writeLastKnownGood(path, versionOf(9, 4));
    const { result, sink } = await start({ lkg: path, s3: true });
    expect(await result).toEqual({ loaded: true, source: 'last-known-good', version: 9 });
    expect(sink.current!.document.routes).toHaveLength(4);
  });

  it('skips a last-known-good file whose checksum does not match and falls through to S3', async () => {
    const path = join(dir, 'corrupt.json');
    const v = versionOf(11, 4);
    await writeFile(path, JSON.stringify({ ...v, document: documentWithRoutes(5) }));
    const { result, warnings } = await start({ lkg: path, s3: true });
    expect(await result).toEqual({ loaded: true, source: 's3', version: 7 });
    expect(warnings.find((w) => w.startsWith(`last-known-good file skipped: ${path}: checksum mismatch (recorded ${v.checksum}, content sha256:`))).toBeDefined();
  });

  it('skips an S3 backup whose checksum does not match', async () => {
    const v = versionOf(12, 2);
    await putVersion(s3.client, s3.location, { ...v, checksum: configChecksum({ other: true }) });
    await putLatest(s3.client, s3.location, v);
    const { result } = await start({ s3: true });
    const err = (await result.catch((e: unknown) => e)) as GatehouseError;
    expect(err.message).toContain('\n  - s3: s3://cold-start/cold/versions/12.json: checksum mismatch');
  });

  it('skips a last-known-good file and an S3 backup whose sum256 checksum does not match', async () => {
    const path = join(dir, 'corrupt-sum256.json');
    const file = digestVersionOf(13, 4);
    await writeFile(path, JSON.stringify({ ...file, document: documentWithRoutes(5) }));
    const backup = digestVersionOf(14, 2);
    await putVersion(s3.client, s3.location, { ...backup, document: documentWithRoutes(3) });
    await putLatest(s3.client, s3.location, backup);
    const { result, warnings } = await start({ lkg: path, s3: true });
    const err = (await result.catch((e: unknown) => e)) as GatehouseError;
    expect(err.code).toBe('GW_ERR_NO_CONFIG');
    expect(err.message).toContain(`\n  - last-known-good: ${path}: checksum mismatch (recorded ${file.checksum}, content ${documentDigest(documentWithRoutes(5))})`);
    expect(err.message).toContain(`\n  - s3: s3://cold-start/cold/versions/14.json: checksum mismatch (recorded ${backup.checksum}, content ${documentDigest(documentWithRoutes(3))})`);
    expect(warnings.find((w) => w.startsWith(`last-known-good file skipped: ${path}: checksum mismatch (recorded sum256:`))).toBeDefined();
  });

  it('starts from a sum256 S3 backup, and from the sum256 last-known-good file it wrote', async () => {
    const v = digestVersionOf(15, 3);
    await putVersion(s3.client, s3.location, v);
    await putLatest(s3.client, s3.location, v);
    const path = join(dir, 'from-s3-sum256.json');
    const first = await start({ lkg: path, s3: true });
    expect(await first.result).toEqual({ loaded: true, source: 's3', version: 15 });
    expect(first.sink.current!.meta).toEqual({ version: 15, checksum: v.checksum, source: 's3' });
    expect(JSON.parse(await readFile(path, 'utf8')).checksum).toBe(v.checksum);
    const second = await start({ lkg: path, s3: true });
    expect(await second.result).toEqual({ loaded: true, source: 'last-known-good', version: 15 });
    expect(second.sink.current!.document.routes.map((r) => r.id)).toEqual(v.document.routes.map((r) => r.id));
    expect(second.sink.current!.meta.checksum).toBe(v.checksum);
  });

  it('refuses an emptied store against the last-known-good file and serves the file', async () => {
    const pgliteDir = await mkdtemp(join(tmpdir(), 'gh-cold-pglite-'));
    const store = await openConfigStore({ dataDir: pgliteDir, migrate: true });
    try {
      await store.commit({ author: 'restore', build: () => ({ document: documentWithRoutes(0) }) });
      const path = join(dir, 'baseline.json');
      await writeLastKnownGood(path, versionOf(20, 8));
      const { result, warnings } = await start({ lkg: path, store });
      expect(await result).toEqual({ loaded: true, source: 'last-known-good', version: 20 });
      expect(warnings).toContain('config version 1 from store refused: it has no routes while 8 are running; write it with allowDrop=true if intended');
    } finally {
      await Promise.all(syncs.splice(0).map((s) => s.stop()));
      await store.close();
      await rm(pgliteDir, { recursive: true, force: true });
    }
  });
});
