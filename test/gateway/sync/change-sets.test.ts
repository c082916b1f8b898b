/**
 * Incremental sync end to end on a real PostgreSQL: versions reach a real data plane as change sets;
 * a reader too far behind, a corrupted change, a wrong digest and a missed notification are all
 * detected and repaired by a whole fetch; a rollback travels as a change set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { ConfigSync, readLastKnownGood } from '../../../gateway/src/sync';
import type { SourceLogger } from '../../../gateway/src/core/logger';
import { canonicalJson } from '../../../gateway/src/core/checksum';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { validateConfig, type GatewayConfig } from '../../../gateway/src/config';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { waitFor } from '../../helpers/control-plane/wait';
import { send, startGateway, startUpstream, type Gateway, type Upstream } from '../data-plane/proxy/harness';

function recorder(): SourceLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, error: (_o, m) => warnings.push(m), warn: (_o, m) => warnings.push(m) };
}

/** A store whose reads are counted, and whose notifications can be swallowed. */
function counted(store: ConfigStore, options: { deaf?: boolean } = {}) {
  const calls = { get: 0, changesSince: 0 };
  return {
    calls,
    head: () => store.head(),
    get: (v: number) => (calls.get++, store.get(v)),
    changesSince: (v: number, o?: { maxChanges?: number }) => (calls.changesSince++, store.changesSince(v, o)),
    watch: (on: (v: number) => void, onError: (e: Error) => void) => store.watch(options.deaf ? () => undefined : on, onError),
  };
}

describe('incremental config sync', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  let upstream: Upstream;
  let dir: string;
  const open: { close(): Promise<unknown> }[] = [];
  let doc: GatewayConfig;

  const route = (id: string, path: string, extra: object = {}) => ({ id, paths: [path], upstream: 'backend', ...extra });
  // Written as the admin API writes them: validated, defaults filled (the digest is over that form).
  const write = (raw: GatewayConfig, extra: { intendedDrop?: boolean; overCorruptHead?: boolean } = {}) => {
    const checked = validateConfig(raw);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const next = checked.value;
    doc = next;
    return store.commit({ author: 'test', ...(extra.overCorruptHead ? { overCorruptHead: true } : {}), build: () => ({ document: next, intendedDrop: extra.intendedDrop }) });
  };
  const putRoute = (r: object & { id: string }) => {
    const i = doc.routes.findIndex((x) => x.id === r.id);
    const routes = i < 0 ? [...doc.routes, r] : doc.routes.map((x, j) => (j === i ? r : x));
    return write({ ...doc, routes } as GatewayConfig);
  };
  const removeRoute = (id: string) => write({ ...doc, routes: doc.routes.filter((r) => r.id !== id) });

  async function start(options: { deaf?: boolean; push?: boolean; pollIntervalMs?: number; incremental?: boolean; storeOverride?: ConfigStore } = {}) {
    const gw: Gateway = await startGateway();
    open.push(gw);
    const s = counted(options.storeOverride ?? store, options);
    const log = recorder();
    const registry = new Registry();
    const lkg = join(dir, `lkg-${open.length}.json`);
    const sync = new ConfigSync({
      sink: gw.dataPlane,
      store: s,
      lastKnownGoodFile: lkg,
      pollIntervalMs: options.pollIntervalMs ?? 60_000,
      push: options.push ?? true,
      incremental: options.incremental,
      startWithoutConfig: false,
      dropGuardPercent: 50,
      logger: log,
      registry,
    });
    await sync.start();
    open.push({ close: () => sync.stop() });
    const readsAtStart = { ...s.calls };
    return { gw, sync, calls: s.calls, readsAtStart, log, registry, lkg };
  }

  beforeAll(async () => {
    db = await createTestDatabase('changesets');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    upstream = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'gh-changes-'));
  });
  beforeEach(async () => {
    const upstreams = [{ id: 'backend', targets: [{ host: '127.0.0.1', port: upstream.port }] }];
    await write({ upstreams, routes: Array.from({ length: 20 }, (_, i) => route(`r${i}`, `/r${i}`)), consumers: [], plugins: {} } as unknown as GatewayConfig, { intendedDrop: true });
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });
  afterAll(async () => {
    await store.close();
    await upstream.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const sql = async <T = unknown>(text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };

  it('applies put, add and remove as change sets, never fetching a whole version, and writes the same last-known-good file', async () => {
    const { gw, calls, readsAtStart, lkg } = await start();
    expect((await send(`${gw.origin}/r3`)).status).toBe(200);
    await putRoute(route('r3', '/moved'));
    await putRoute(route('added', '/added', { methods: ['GET'] }));
    const last = await removeRoute('r5');
    await waitFor(() => gw.dataPlane.currentVersion === last.version, 'the change sets');
    expect(calls.get).toBe(readsAtStart.get);
    expect(calls.changesSince).toBeGreaterThan(readsAtStart.changesSince);
    expect((await send(`${gw.origin}/r3`)).status).toBe(404);
    expect((await send(`${gw.origin}/moved`)).status).toBe(200);
    expect((await send(`${gw.origin}/added`)).status).toBe(200);
    expect((await send(`${gw.origin}/r5`)).status).toBe(404);
    // The document built from change sets is the stored one, byte for byte (order included).
    expect(canonicalJson(gw.dataPlane.snapshot!.config)).toBe(canonicalJson((await store.get(last.version))!.document));
    const file = await waitFor(async () => {
      const r = await readLastKnownGood(lkg);
      return r.ok && r.version.version === last.version ? r : undefined;
    }, 'the last-known-good file');
    expect(file.version.checksum).toBe(last.checksum);
  });

  it('coalesces a burst: every version written since the last look is applied in one compile', async () => {
    const { gw, log, sync, calls, readsAtStart } = await start({ push: false });
    const applied = () => gw.logs.lines.filter((l) => l.msg === 'config applied').length;
    const before = applied();
    let last = 0;
    for (let i = 0; i < 8; i++) last = (await putRoute(route(`burst${i}`, `/burst${i}`))).version;
    await sync.syncNow();
    expect(gw.dataPlane.currentVersion).toBe(last);
    expect(applied()).toBe(before + 1);
    expect(calls.changesSince).toBe(readsAtStart.changesSince + 1);
    expect(calls.get).toBe(readsAtStart.get);
    expect((await send(`${gw.origin}/burst0`)).status).toBe(200);
    expect(log.warnings).toEqual([]);
  });

  it('fetches the head whole when the reader is too far behind the change log (retention)', async () => {
    const short = await openConfigStore({ databaseUrl: db.url, migrate: false, retention: 2 });
    open.push(short);
    const { gw, calls, readsAtStart, sync } = await start({ push: false, storeOverride: short });
    const from = gw.dataPlane.currentVersion!;
    let last = 0;
    for (let i = 0; i < 4; i++) {
      const next = validateConfig({ ...doc, routes: [...doc.routes, route(`far${i}`, `/far${i}`)] });
      if (!next.ok) throw new Error('invalid');
      doc = next.value;
      last = (await short.commit({ author: 't', build: () => ({ document: next.value }) })).version;
    }
    const since = await short.changesSince(from);
    expect(since).toEqual({ ok: false, reason: `version ${from} is too far behind: the change log starts after it` });
    await sync.syncNow();
    expect(gw.dataPlane.currentVersion).toBe(last);
    expect(calls.get).toBe(readsAtStart.get + 1);
    expect((await send(`${gw.origin}/far3`)).status).toBe(200);
  });

  it('repairs a missed notification through the poll, still as change sets', async () => {
    const { gw, calls, readsAtStart } = await start({ deaf: true, pollIntervalMs: 100 });
    const v = await putRoute(route('late', '/late'));
    await waitFor(() => gw.dataPlane.currentVersion === v.version, 'the polled change set');
    expect(calls.get).toBe(readsAtStart.get);
    expect((await send(`${gw.origin}/late`)).status).toBe(200);
  });

  it('refuses a corrupted change (hash mismatch) and fetches the version whole instead', async () => {
    const { gw, calls, readsAtStart, log, sync, registry } = await start({ push: false });
    const v = await putRoute(route('r1', '/genuine'));
    await sql(`UPDATE gatehouse_config_changes SET body = replace(body, '/genuine', '/evil') WHERE version = $1`, [v.version]);
    await sync.syncNow();
    expect(gw.dataPlane.currentVersion).toBe(v.version);
    expect(calls.get).toBe(readsAtStart.get + 1);
    expect(log.warnings.some((w) => w.startsWith(`change set of version ${v.version} refused: route "r1" has hash sha256:`))).toBe(true);
    expect(await registry.metrics()).toContain('gatehouse_config_sync_errors_total{reason="checksum"} 1');
    expect((await send(`${gw.origin}/genuine`)).status).toBe(200);
    expect((await send(`${gw.origin}/evil`)).status).toBe(404);
  });

  it('refuses a change whose hash was forged to match: the digest check catches it, and the whole fetch repairs it', async () => {
    const { gw, calls, readsAtStart, log, sync } = await start({ push: false });
    const v = await putRoute(route('r2', '/genuine2'));
    // Body and hash rewritten together, as a bug or a careless hand edit might: only the digest disagrees.
    const [row] = await sql<{ body: string }>(`SELECT body FROM gatehouse_config_changes WHERE version = $1 AND id = 'r2'`, [v.version]);
    const forged = row!.body.replace('/genuine2', '/forged');
    const { resourceHash } = await import('../../../gateway/src/core/resource-digest');
    await sql(`UPDATE gatehouse_config_changes SET body = $2, hash = $3 WHERE version = $1 AND id = 'r2'`, [v.version, forged, resourceHash('route', 'r2', forged)]);
    await sync.syncNow();
    expect(gw.dataPlane.currentVersion).toBe(v.version);
    expect(calls.get).toBe(readsAtStart.get + 1);
    expect(log.warnings.some((w) => w.startsWith(`change sets to version ${v.version} not applied (the digest after the change sets is sum256:`))).toBe(true);
    expect((await send(`${gw.origin}/genuine2`)).status).toBe(200);
    expect((await send(`${gw.origin}/forged`)).status).toBe(404);
  });

  it('applies a rollback as a change set, restoring removed routes at their old positions', async () => {
    const { gw, calls, readsAtStart } = await start();
    const base = (await store.head())!.version;
    const original = (await store.get(base))!.document;
    await removeRoute('r4');
    await putRoute(route('r9', '/nine'));
    // What POST /versions/{n}/rollback commits: the old document, allowed over a corrupt head.
    const rolled = await write(original, { overCorruptHead: true });
    const since = await store.changesSince(rolled.version - 1);
    expect(since.ok && since.versions[0]!.changes.map((c) => [c.kind, c.id, c.position])).toEqual([
      ['route', 'r4', 4],
      ['route', 'r9', 9],
    ]);
    await waitFor(() => gw.dataPlane.currentVersion === rolled.version, 'the rollback');
    expect(calls.get).toBe(readsAtStart.get);
    expect(gw.dataPlane.snapshot!.config.routes.map((r) => r.id)).toEqual(original.routes.map((r) => r.id));
    expect((await send(`${gw.origin}/r4`)).status).toBe(200);
    expect((await send(`${gw.origin}/r9`)).status).toBe(200);
  });

  it('keeps the in-flight request on the snapshot it started with (copy on write)', async () => {
    const { gw } = await start();
    const generation = gw.dataPlane.generation!;
    generation.acquire();
    const before = generation.snapshot;
    const v = await removeRoute('r7');
    await waitFor(() => gw.dataPlane.currentVersion === v.version, 'the change set');
    expect(before.match('GET', 'h', '/r7', {})?.route.id).toBe('r7');
    expect(gw.dataPlane.snapshot!.match('GET', 'h', '/r7', {})).toBeUndefined();
    // Unchanged routes share their compiled plugin chain across the two snapshots.
    expect(gw.dataPlane.snapshot!.match('GET', 'h', '/r8', {})!.route.plugins).toBe(before.match('GET', 'h', '/r8', {})!.route.plugins);
    generation.release();
  });

  it('fetches every version whole when incremental sync is off (the baseline)', async () => {
    const { gw, calls, readsAtStart } = await start({ incremental: false });
    const v = await putRoute(route('whole', '/whole'));
    await waitFor(() => gw.dataPlane.currentVersion === v.version, 'the whole version');
    expect(calls.changesSince).toBe(0);
    expect(calls.get).toBe(readsAtStart.get + 1);
  });

  it('refuses a change set that drops most routes, like a whole version', async () => {
    const { gw, log } = await start();
    const running = gw.dataPlane.currentVersion!;
    const empty = await write({ ...doc, routes: [] });
    await waitFor(() => log.warnings.find((w) => w.startsWith(`config version ${empty.version} from store refused: it has no routes while`)), 'the refusal');
    expect(gw.dataPlane.currentVersion).toBe(running);
  });
});
