/**
 * Where an admin single-route write spends its time: the real admin API on PostgreSQL with every SQL
 * statement and every ConfigService step timed. `npx tsx bench/control-plane/admin-write-profile.ts [routes] [writes]`.
 * Prints one line per step (median and p99 ms per write) and the write's own p50/p99.
 */
import { request } from 'undici';
import { openConfigStore } from '../../gateway/src/store';
import { SqlConfigStore } from '../../gateway/src/store/sql-config-store';
import { pgClient, type SqlClient, type SqlSession } from '../../gateway/src/store/sql';
import { buildAdminServer, ConfigService } from '../../gateway/src/control-plane';
import { hashToken, newToken } from '../../gateway/src/control-plane/auth';
import { createBenchDatabase, percentile } from './database';
import { scaleDocument } from '../config-scale-document';

const routes = Number(process.argv[2] ?? 20_000);
const writes = Number(process.argv[3] ?? 20);
const steps = new Map<string, number[]>();
let current: Map<string, number> | undefined;
const add = (name: string, ms: number) => current && current.set(name, (current.get(name) ?? 0) + ms);

/** SQL statements are named by their first words. */
const label = (sql: string) => 'sql ' + sql.trim().replace(/\s+/g, ' ').slice(0, 48);
function timed(db: SqlClient): SqlClient {
  const wrap = (s: SqlSession): SqlSession => ({
    async query(text, params) {
      const t = performance.now();
      try {
        return await s.query(text, params);
      } finally {
        add(label(text), performance.now() - t);
      }
    },
  });
  return { ...db, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))), listen: db.listen.bind(db), close: db.close.bind(db) };
}

function timeMethod(proto: object, name: string): void {
  const p = proto as Record<string, (...a: unknown[]) => unknown>;
  const orig = p[name]!;
  p[name] = function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    const out = orig.apply(this, args);
    if (out instanceof Promise) return out.finally(() => add(`service ${name}`, performance.now() - t));
    add(`service ${name}`, performance.now() - t);
    return out;
  };
}

async function main(): Promise<void> {
  const db = await createBenchDatabase('cpprofile');
  (await openConfigStore({ databaseUrl: db.url, migrate: true })).close();
  // A long deadline: importing 100,000 routes on a loaded machine takes longer than the default.
  const store = new SqlConfigStore(timed(pgClient(db.url, { deadlineMs: 120_000 })));
  for (const m of ['current', 'validateOver', 'seal', 'diff', 'next']) timeMethod(ConfigService.prototype, m);
  timeMethod(SqlConfigStore.prototype, 'commit');
  const token = newToken();
  const admin = buildAdminServer({ store, tokens: [{ role: 'admin', hash: hashToken(token) }], bodyLimitBytes: 512 * 1024 * 1024, dropGuardPercent: 50 });
  await admin.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(admin.server.address() as { port: number }).port}`;
  const send = async (method: 'PUT', path: string, body: unknown) => {
    const res = await request(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  };
  try {
    let t = performance.now();
    await send('PUT', '/admin/v1/config', scaleDocument(1, routes));
    console.log(`import ${routes} routes + ${routes} consumers: ${(performance.now() - t).toFixed(0)} ms`);
    const totals: number[] = [];
    for (let i = 0; i < writes; i++) {
      current = new Map();
      t = performance.now();
      await send('PUT', `/admin/v1/routes/w${i}`, { paths: [`/w${i}`], upstream: 'bench' });
      totals.push(performance.now() - t);
      for (const [k, v] of current) steps.set(k, [...(steps.get(k) ?? []), v]);
      current = undefined;
    }
    console.log(`admin single-route write at ${routes}: p50 ${percentile(totals, 50).toFixed(1)} ms, p99 ${percentile(totals, 99).toFixed(1)} ms (${writes} writes, shared machine)`);
    for (const [k, v] of [...steps].sort((a, b) => percentile(b[1], 50) - percentile(a[1], 50)))
      console.log(`  ${k.padEnd(64)} p50 ${percentile(v, 50).toFixed(1).padStart(8)} ms  p99 ${percentile(v, 99).toFixed(1).padStart(8)} ms`);
  } finally {
    await admin.close();
    await store.close();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
