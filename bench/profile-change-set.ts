/**
 * Where a data plane's time goes applying a one-route change set at scale: builds the config-scale
 * document (`--routes` routes and as many consumers), applies it whole, then applies one-route change
 * sets through `DataPlane.applyChanges` under the V8 profiler (node:inspector) and prints the self
 * time per source file and the top functions. Run: npx tsx bench/profile-change-set.ts [--routes 20000] [--changes 3] [--consumer]
 */
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { diffDocuments, documentDigest, validateConfig, type GatewayConfig } from '../gateway/src/config';
import { DataPlane } from '../gateway/src/data-plane';
import { SnapshotCompiler } from '../gateway/src/data-plane/snapshot';
import { createPluginRegistry } from '../gateway/src/plugins';
import { scaleDocument } from './config-scale-document';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { routes: { type: 'string', default: '20000' }, changes: { type: 'string', default: '3' }, consumer: { type: 'boolean', default: false } } });
  const routes = Number(values.routes);
  const registry = createPluginRegistry();
  const checked = validateConfig(scaleDocument(9, routes), registry.checker);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems.slice(0, 3)));
  const dp = new DataPlane({ log: pino({ level: 'silent' }), compilation: new SnapshotCompiler(), plugins: registry });
  let t = performance.now();
  const whole = await dp.apply(checked.value, { version: 1, checksum: 'c1', source: 'store' });
  if (!whole.applied) throw new Error(whole.reason);
  console.log(`whole apply: ${(performance.now() - t).toFixed(0)} ms`);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  let doc: GatewayConfig = checked.value;
  let version = 1;
  let total = 0;
  for (let i = 0; i < Number(values.changes); i++) {
    const at = (i * 7919) % routes;
    const next = values.consumer
      ? ({ ...doc, consumers: doc.consumers.map((c, j) => (j === at ? { ...c, labels: { tier: `t${i}` } } : c)) } as GatewayConfig)
      : ({ ...doc, routes: doc.routes.map((r, j) => (j === at ? { ...r, paths: [`/changed${i}`] } : r)) } as GatewayConfig);
    const set = diffDocuments(doc, next)!;
    const digest = documentDigest(validateConfig(next, registry.checker).ok ? next : doc);
    await session.post('Profiler.start');
    t = performance.now();
    const r = await dp.applyChanges({ baseVersion: version, steps: [set], digest }, { version: version + 1, checksum: `c${version + 1}`, source: 'store' });
    const ms = performance.now() - t;
    const { profile } = await session.post('Profiler.stop');
    if (!r.applied) throw new Error(r.reason);
    total += ms;
    console.log(`change set ${i + 1}: ${ms.toFixed(0)} ms`);
    const nodes = profile.nodes as ProfileNode[];
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const dt = new Map<number, number>();
    profile.samples!.forEach((id, k) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas![k] ?? 0) / 1000));
    const byFile = new Map<string, number>();
    const byFn = new Map<string, number>();
    for (const [id, msSelf] of dt) {
      const n = byId.get(id)!;
      const file = n.callFrame.url.replace(/^.*\/(gateway|node_modules)\//, '$1/') || `(${n.callFrame.functionName})`;
      byFile.set(file, (byFile.get(file) ?? 0) + msSelf);
      const fn = `${n.callFrame.functionName || '(anon)'} ${file}:${n.callFrame.lineNumber + 1}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + msSelf);
    }
    const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, v]) => `  ${v.toFixed(1).padStart(8)} ms  ${name}`).join('\n');
    console.log(`self time by file:\n${top(byFile, 12)}\ntop functions:\n${top(byFn, 15)}`);
    doc = r.document;
    version++;
  }
  console.log(`mean change set: ${(total / Number(values.changes)).toFixed(0)} ms`);
  session.disconnect();
  await dp.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
