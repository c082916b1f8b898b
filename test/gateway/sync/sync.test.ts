import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { configChecksum } from '../../../gateway/src/core/checksum';
import { ConfigSync, readLastKnownGood } from '../../../gateway/src/sync';
import { type SourceLogger } from '../../../gateway/src/core/logger';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { RecordingSink } from '../../helpers/control-plane/recording-sink';
import { waitFor } from '../../helpers/control-plane/wait';

/** Records warnings so tests can assert what was reported. */
function recorder(): SourceLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, error: (_o, m) => warnings.push(m), warn: (_o, m) => warnings.push(m) };
}

describe('config sync from the store', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let dir: string;
  const syncs: ConfigSync[] = [];
  const commit = (n: number, extra: { intendedDrop?: boolean } = {}) =>
    store.commit({ author: 'test', build: () => ({ document: documentWithRoutes(n), ...extra }) });

  const startSync = async (options: Partial<ConstructorParameters<typeof ConfigSync>[0]> = {}) => {
    const sink = new RecordingSink();
    const log = recorder();
    const registry = new Registry();
    const sync = new ConfigSync({
      sink,
      store,
      lastKnownGoodFile: join(dir, `lkg-${syncs.length}.json`),
      pollIntervalMs: 60_000,
      startWithoutConfig: true,
      dropGuardPercent: 50,
      logger: log,
      registry,
      ...options,
    });
    syncs.push(sync);
    const started = await sync.start();
    return { sink, log, sync, registry, started };
  };

  beforeAll(async () => {
    db = await createTestDatabase('sync');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    dir = await mkdtemp(join(tmpdir(), 'gh-sync-'));
  });
  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the head at start, then applies new versions on NOTIFY and writes the last-known-good file', async () => {
    const v1 = await commit(4);
    const { sink, sync, started, registry } = await startSync();
    expect(started).toEqual({ loaded: true, source: 'store', version: v1.version });
    expect(sink.current!.meta).toEqual({ version: v1.version, checksum: v1.checksum, source: 'store' });

    // The poll interval is a minute: only the push can deliver this within the wait.
    const v2 = await commit(5);
    await waitFor(() => sink.currentVersion === v2.version, 'the pushed version');
    expect(sync.current).toEqual({ version: v2.version, checksum: v2.checksum, source: 'store' });
    const lkg = await waitFor(async () => {
      const r = await readLastKnownGood(join(dir, 'lkg-0.json'));
      return r.ok && r.version.version === v2.version ? r : undefined;
    }, 'the last-known-good file');
    expect(lkg.version).toMatchObject({ version: v2.version, checksum: v2.checksum, routeCount: 5 });
    expect(JSON.parse(await readFile(join(dir, 'lkg-0.json'), 'utf8')).checksum).toBe(v2.checksum);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`gatehouse_config_sync_version ${v2.version}`);
    expect(metrics).toContain('gatehouse_config_sync_source{source="store"} 1');
    expect(metrics).toMatch(/gatehouse_config_propagation_lag_seconds \d/);
  });

  it('picks up versions by polling alone when push is off', async () => {
    const { sink } = await startSync({ push: false, pollIntervalMs: 50 });
    const v = await commit(5);
    await waitFor(() => sink.currentVersion === v.version, 'the polled version');
  });

  it('applies only newer versions, in order, never going back', async () => {
    const { sink, sync } = await startSync();
    const running = sink.currentVersion!;
    await sync.syncNow();
    await sync.syncNow();
    expect(sink.applied.map((a) => a.meta.version)).toEqual([running]);
  });

  it('skips and reports a version whose checksum does not match, then applies the next good one', async () => {
    // No push: the tampering must happen before the data plane looks.
    const { sink, log, registry, sync } = await startSync({ push: false });
    const bad = await commit(6);
    expect(bad.checksum).toMatch(/^sum256:/);
    const c = new Client({ connectionString: db.url });
    await c.connect();
    await c.query(`UPDATE gatehouse_config_versions SET document = replace(document, '"id":"r0"', '"id":"tampered"') WHERE version = $1`, [bad.version]);
    await c.end();
    await sync.syncNow();
    expect(sink.currentVersion).toBe(bad.version - 1);
    expect(log.warnings.some((w) => w.startsWith(`config version ${bad.version} from store refused: checksum mismatch`))).toBe(true);
    expect(await registry.metrics()).toContain('gatehouse_config_sync_errors_total{reason="checksum"} 1');
    // The store builds nothing on a tampered head: only a repair (a rollback) replaces it.
    const good = await store.commit({ author: 'test', overCorruptHead: true, build: () => ({ document: documentWithRoutes(6) }) });
    await sync.syncNow();
    expect(sink.currentVersion).toBe(good.version);
  });

  it('refuses a version that drops most routes unless it is marked intended', async () => {
    const { sink, log, registry } = await startSync();
    const before = sink.currentVersion!;
    const empty = await commit(0);
    await waitFor(() => log.warnings.find((w) => w.startsWith(`config version ${empty.version} from store refused: it has no routes while 6 are running`)), 'the refusal');
    const third = await commit(2);
    await waitFor(() => log.warnings.find((w) => w.includes(`version ${third.version} from store refused: it drops 4 of 6 routes (67% > 50%)`)), 'the second refusal');
    expect(sink.currentVersion).toBe(before);
    expect(await registry.metrics()).toContain('gatehouse_config_sync_errors_total{reason="drop-guard"} 2');
    const intended = await commit(0, { intendedDrop: true });
    await waitFor(() => sink.currentVersion === intended.version, 'the intended drop');
    expect(sink.current!.document.routes).toEqual([]);
  });

  it('refuses a version the data plane finds invalid and keeps the running one', async () => {
    await commit(3, { intendedDrop: true });
    const { sink, log } = await startSync();
    const before = sink.currentVersion!;
    // A version written around the admin API: its route names an upstream that does not exist.
    const doc = documentWithRoutes(3);
    doc.routes[0]!.upstream = 'ghost';
    const bad = await store.commit({ author: 'sql', build: () => ({ document: doc }) });
    await waitFor(() => log.warnings.find((w) => w === `config version ${bad.version} from store refused: the config is invalid`), 'the refusal');
    expect(sink.currentVersion).toBe(before);
  });

  it('applies a version stored before with its sha256 checksum on a whole fetch, and refuses one tampered', async () => {
    const lkg = join(dir, `lkg-${syncs.length}.json`);
    const { sink, log, sync } = await startSync({ push: false });
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      // What the previous code path recorded: the sha256 of the canonical text.
      const old = await commit(4);
      const sha = configChecksum(old.document);
      await sql.query('UPDATE gatehouse_config_versions SET checksum = $2 WHERE version = $1', [old.version, sha]);
      await sync.syncNow();
      expect(sink.current!.meta).toEqual({ version: old.version, checksum: sha, source: 'store' });
      const file = await readLastKnownGood(lkg);
      expect(file.ok && file.version.checksum).toBe(sha);
      const bad = await commit(5);
      await sql.query(`UPDATE gatehouse_config_versions SET checksum = $2, document = replace(document, '"id":"r0"', '"id":"tampered"') WHERE version = $1`, [
        bad.version,
        configChecksum(bad.document),
      ]);
      await sync.syncNow();
      expect(sink.currentVersion).toBe(old.version);
      expect(log.warnings.some((w) => w.startsWith(`config version ${bad.version} from store refused: checksum mismatch (recorded sha256:`))).toBe(true);
    } finally {
      await sql.end();
    }
  });
});
