/**
 * In one process, what a data plane pays per config change at scale, incremental against whole:
 * `DataPlane.apply` of a whole version against `DataPlane.applyChanges` of a one-route change set,
 * each timed and with the longest event-loop block during it (monitorEventLoopDelay, 1 ms
 * resolution); plus what the control plane pays for a single-route admin write (ConfigService over
 * PostgreSQL). Ratios from the same run are what to read on a shared machine.
 * Run: npx tsx bench/config-apply.ts [--routes 20000] [--changes 10]
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { diffDocuments, documentDigest, validateConfig, type GatewayConfig } from '../gateway/src/config';
import { ConfigService } from '../gateway/src/control-plane/config-service';
import { DataPlane } from '../gateway/src/data-plane';
import { SnapshotCompiler } from '../gateway/src/data-plane/snapshot';
import { createPluginRegistry } from '../gateway/src/plugins';
import { openConfigStore } from '../gateway/src/store';
import { scaleDocument } from './config-scale-document';
import { createBenchDatabase, percentile } from './control-plane/database';

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; blockMs: number; value: T }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  // One more turn so a block at the very end is recorded.
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  return { ms, blockMs: h.max / 1e6, value };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { routes: { type: 'string', default: '20000' }, changes: { type: 'string', default: '10' } } });
  const routes = Number(values.routes);
  const changes = Number(values.changes);
  const registry = createPluginRegistry();
  const checked = validateConfig(scaleDocument(9, routes), registry.checker);
  if (!checked.ok) throw new Error(`bench document invalid: ${JSON.stringify(checked.problems.slice(0, 3))}`);
  const base = checked.value;
  const log = pino({ level: 'silent' });
  const compiler = new SnapshotCompiler();
  const dp = new DataPlane({ log, compilation: compiler, plugins: registry });
  const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
  const lines: string[] = [];
  try {
    const digest = documentDigest(base);
    const whole = await timed(() => dp.apply(base, { version: 1, checksum: 'c1', source: 'store' }));
    if (!whole.value.applied) throw new Error(whole.value.reason);
    const wholeRuns = [whole];
    // A second whole apply (warm), as a full-fetch data plane does on every change.
    let doc: GatewayConfig = base;
    let version = 1;
    const incremental: { ms: number; blockMs: number }[] = [];
    for (let i = 0; i < changes; i++) {
      const next = { ...doc, routes: doc.routes.map((r, j) => (j === (i * 7919) % routes ? { ...r, paths: [`/changed${i}`] } : r)) } as GatewayConfig;
      const set = diffDocuments(doc, next)!;
      const nextChecked = validateConfig(next, registry.checker);
      if (!nextChecked.ok) throw new Error('changed document invalid');
      const r = await timed(() => dp.applyChanges({ baseVersion: version, steps: [set], digest: documentDigest(nextChecked.value) }, { version: version + 1, checksum: `c${version + 1}`, source: 'store' }));
      if (!r.value.applied) throw new Error(r.value.reason);
      incremental.push(r);
      version++;
      doc = r.value.document;
    }
    for (let i = 0; i < 2; i++) {
      const r = await timed(() => dp.apply(doc, { version: ++version, checksum: `c${version}`, source: 'store' }));
      if (!r.value.applied) throw new Error(r.value.reason);
      wholeRuns.push(r);
    }
    const db = await createBenchDatabase('cfgapply');
    const store = await openConfigStore({ databaseUrl: db.url, migrate: true });
    try {
      const service = new ConfigService(store, { plugins: registry.checker, dropGuardPercent: 50 });
      const req = { author: 'bench', allowDrop: false, dryRun: false };
      const first = await timed(() => service.change(req, () => base));
      const writes: number[] = [];
      for (let i = 0; i < changes; i++) {
        const r = await timed(() => service.change(req, (cur) => ({ ...cur, routes: [...cur.routes, { id: `w${i}`, paths: [`/w${i}`], upstream: 'bench' }] })));
        writes.push(r.ms);
      }
      lines.push(
        `config apply: ${routes.toLocaleString('en-US')} routes, ${routes.toLocaleString('en-US')} consumers (digest of the document: ${digest.slice(0, 20)}…)`,
        '',
        '| step | ms (median) | longest event-loop block, ms (max) |',
        '| --- | --- | --- |',
        `| data plane: whole version (validate + digest + compile in slices) | ${fmt(percentile(wholeRuns.map((r) => r.ms), 50))} | ${fmt(Math.max(...wholeRuns.map((r) => r.blockMs)))} |`,
        `| data plane: one-route change set (validate the route + digest + compile in slices, chains reused) | ${fmt(percentile(incremental.map((r) => r.ms), 50))} | ${fmt(Math.max(...incremental.map((r) => r.blockMs)))} |`,
        `| control plane: import the whole document (first write, validated whole) | ${fmt(first.ms)} | ${fmt(first.blockMs)} |`,
        `| control plane: single-route write (change set validated, whole document stored) p50 / p99 | ${fmt(percentile(writes, 50))} / ${fmt(percentile(writes, 99))} | |`,
      );
    } finally {
      await store.close();
      await db.drop();
    }
  } finally {
    await dp.close();
  }
  process.stdout.write(lines.join('\n') + '\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`config-apply: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
