/**
 * The control plane keeps the head in memory: its own writes never reload the document, and another
 * control plane's writes are followed through the change log (each change checked against its hash,
 * the result against the version's digest), falling back to a whole read when the log cannot do it.
 */
import { Client } from 'pg';
import type { GatewayConfig } from '../../../gateway/src/config';
import { ConfigService } from '../../../gateway/src/control-plane';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

const request = { author: 'test', allowDrop: false, dryRun: false };
const addRoute = (id: string) => (doc: GatewayConfig) => ({ ...doc, routes: [...doc.routes, { id, paths: [`/${id}`], upstream: 'backend' }] });

/** The store with its whole-version reads counted. */
function counting(store: ConfigStore): { store: ConfigStore; gets: number[] } {
  const gets: number[] = [];
  const wrapped = Object.create(store) as ConfigStore;
  wrapped.get = (version: number) => {
    gets.push(version);
    return store.get(version);
  };
  return { store: wrapped, gets };
}

describe('the head held in memory by the control plane', () => {
  let db: TestDatabase;
  let store: ConfigStore;
  beforeEach(async () => {
    db = await createTestDatabase('head_memory');
    store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  it('writes on its own head without reading it back, and follows another writer through the change log', async () => {
    const a = counting(store);
    const b = counting(store);
    const serviceA = new ConfigService(a.store, { dropGuardPercent: 50 });
    const serviceB = new ConfigService(b.store, { dropGuardPercent: 50 });
    await serviceA.change(request, () => documentWithRoutes(5));
    await serviceA.change(request, addRoute('a1'));
    await serviceA.change(request, addRoute('a2'));
    expect(a.gets).toEqual([]);
    await serviceB.change(request, addRoute('b1')); // B loads the head whole once (start)
    expect(b.gets).toEqual([3]);
    await serviceA.change(request, addRoute('a3'));
    await serviceA.change(request, addRoute('a4'));
    const outcome = await serviceB.change(request, addRoute('b2'));
    expect(b.gets).toEqual([3]);
    expect(a.gets).toEqual([]);
    if (outcome.dryRun) throw new Error('not a dry run');
    const stored = (await store.get(outcome.version.version))!;
    expect(outcome.version.document).toEqual(stored.document);
    expect(stored.document.routes.map((r) => r.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'a1', 'a2', 'b1', 'a3', 'a4', 'b2']);
    expect((await serviceA.current()).document).toEqual(stored.document);
    expect(a.gets).toEqual([]);
  });

  it('reads the head whole when a followed change does not match its hash', async () => {
    const a = counting(store);
    const b = counting(store);
    const serviceA = new ConfigService(a.store, { dropGuardPercent: 50 });
    const serviceB = new ConfigService(b.store, { dropGuardPercent: 50 });
    await serviceA.change(request, () => documentWithRoutes(2));
    await serviceB.current();
    const outcome = await serviceA.change(request, addRoute('x'));
    if (outcome.dryRun) throw new Error('not a dry run');
    const c = new Client({ connectionString: db.url });
    await c.connect();
    // The hash no longer matches the body: the follower must not build on it.
    await c.query(`UPDATE gatehouse_config_changes SET hash = 'sha256:' || repeat('0', 64) WHERE version = $1`, [outcome.version.version]);
    await c.end();
    const current = await serviceB.current();
    expect(b.gets).toEqual([1, outcome.version.version]);
    expect(current.document).toEqual(outcome.version.document);
  });
});
