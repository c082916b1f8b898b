/**
 * Config at scale: 100,000 routes and 100,000 consumers. Measures what a data plane pays to fetch the
 * whole document on each change (query + JSON parse + validate) against what an incremental design
 * would fetch (the changed rows only), and what the control plane pays per write.
 * Run: npx tsx bench/config-scale.ts [--routes 100000] [--consumers 100000]
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { validateConfig, type GatewayConfig } from '../gateway/src/config';
import { configChecksum } from '../gateway/src/core/checksum';
import { actualChecksum } from '../gateway/src/core/version-checksum';
import { openConfigStore, pgClient } from '../gateway/src/store';
import { createBenchDatabase, timeMs } from './control-plane/database';

function bigDocument(routes: number, consumers: number): GatewayConfig {
  return {
    upstreams: Array.from({ length: 100 }, (_, i) => ({ id: `u${i}`, targets: [{ host: '10.0.0.1', port: 8000 + i }] })),
    routes: Array.from({ length: routes }, (_, i) => ({ id: `r${i}`, paths: [`/svc${i % 1000}/r${i}/*`], methods: ['GET', 'POST'], upstream: `u${i % 100}` })),
    consumers: Array.from({ length: consumers }, (_, i) => ({ id: `c${i}`, username: `user${i}`, labels: { tier: i % 2 ? 'gold' : 'free' } })),
    plugins: {},
  } as unknown as GatewayConfig;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { routes: { type: 'string', default: '100000' }, consumers: { type: 'string', default: '100000' } } });
  const routes = Number(values.routes);
  const consumers = Number(values.consumers);
  const db = await createBenchDatabase('scale');
  const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
  const sql = pgClient(db.url);
  try {
    const doc = bigDocument(routes, consumers);
    const validated = validateConfig(doc);
    if (!validated.ok) throw new Error('bench document invalid');
    const bytes = Buffer.byteLength(JSON.stringify(validated.value));

    let version = 0;
    const commitMs = await timeMs(async () => {
      version = (await store.commit({ author: 'bench', build: () => ({ document: validated.value }) })).version;
    });
    const queryMs = await timeMs(() => sql.query('SELECT document::text AS d FROM gatehouse_config_versions WHERE version = $1', [version]));
    const [row] = await sql.query<{ d: string }>('SELECT document::text AS d FROM gatehouse_config_versions WHERE version = $1', [version]);
    const parseMs = await timeMs(() => JSON.parse(row!.d));
    const parsed = JSON.parse(row!.d) as GatewayConfig;
    const validateMs = await timeMs(() => validateConfig(parsed));
    const checksumMs = await timeMs(() => configChecksum(parsed));
    const shaMs = await timeMs(() => createHash('sha256').update(row!.d).digest('hex'));
    // What a data plane does per applied version: fetch + parse (store.get), verify, validate.
    const fullMs = await timeMs(async () => {
      const v = (await store.get(version))!;
      if (actualChecksum(v) !== v.checksum) throw new Error('checksum');
      validateConfig(v.document);
    });
    const headMs = await timeMs(() => store.head(), 20);

    // The incremental alternative: one row per resource, a data plane fetching only the rows changed
    // since its version. Modelled with a table of routes keyed by id and a changed-since index.
    await sql.query('CREATE TABLE bench_routes (id text PRIMARY KEY, version integer NOT NULL, body jsonb NOT NULL)');
    await sql.query('CREATE INDEX ON bench_routes (version)');
    await sql.query(`INSERT INTO bench_routes SELECT r->>'id', 1, r FROM jsonb_array_elements((SELECT document::jsonb->'routes' FROM gatehouse_config_versions WHERE version = $1)) r`, [version]);
    await sql.query(`UPDATE bench_routes SET version = 2 WHERE id = 'r42'`);
    const incrementalMs = await timeMs(async () => {
      const rows = await sql.query<{ body: unknown }>('SELECT body FROM bench_routes WHERE version > 1');
      for (const r of rows) validateConfig({ routes: [r.body], upstreams: parsed.upstreams, consumers: [], plugins: {} });
    }, 20);

    const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
    const lines = [
      `config scale: ${routes.toLocaleString('en-US')} routes, ${consumers.toLocaleString('en-US')} consumers, 100 upstreams; document ${(bytes / 1024 / 1024).toFixed(1)} MiB (canonical JSON)`,
      '',
      '| step | median ms |',
      '| --- | --- |',
      `| head check (poll, one small row) | ${fmt(headMs)} |`,
      `| query: whole document as text | ${fmt(queryMs)} |`,
      `| JSON.parse | ${fmt(parseMs)} |`,
      `| validateConfig (schema + references) | ${fmt(validateMs)} |`,
      `| checksum over the stored canonical text (sha256, what data planes do) | ${fmt(shaMs)} |`,
      `| checksum from the parsed object (canonical JSON + sha256; files, S3) | ${fmt(checksumMs)} |`,
      `| **full fetch on a change** (query + parse + checksum + validate) | **${fmt(fullMs)}** |`,
      `| incremental: fetch + validate the one changed route | ${fmt(incrementalMs)} |`,
      `| control plane: commit a whole new version (validated doc in, lock + read current + insert + notify) | ${fmt(commitMs)} |`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await sql.close();
    await store.close();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`config-scale: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
