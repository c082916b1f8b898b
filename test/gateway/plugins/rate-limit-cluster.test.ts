/**
 * rate-limit on a real Redis Cluster (three masters started by the test): every counter of a decision
 * shares a hash tag, so the one-script decision never fails with CROSSSLOT, and keys spread over slots.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createRateLimitStore, limitSpec, RedisRateLimitStore } from '../../../gateway/src/plugins/rate-limit';
import { freePort, uniquePrefix } from './redis';

const run = promisify(execFile);

describe('rate-limit on Redis Cluster', () => {
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  let dir: string;
  let store: RedisRateLimitStore;
  const keyPrefix = uniquePrefix();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir];
      const proc = spawn('redis-server', args, { stdio: 'ignore' });
      proc.once('error', (err) => {
        throw new Error(`cannot run redis-server (${err.message}); install Redis so that redis-server and redis-cli are on PATH`);
      });
      procs.push(proc);
    }
    const deadline = Date.now() + 30_000;
    for (const port of ports)
      while (!(await run('redis-cli', ['-p', String(port), 'ping']).then((r) => r.stdout.trim() === 'PONG', () => false))) {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports)
      while (!(await run('redis-cli', ['-p', String(port), 'cluster', 'info']).then((r) => r.stdout.includes('cluster_state:ok'), () => false))) {
        if (Date.now() > deadline) throw new Error('the cluster did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
    store = createRateLimitStore({ redisUrl: `redis://127.0.0.1:${ports[0]}`, redisCluster: true, keyPrefix, budgetMs: 5_000 }) as RedisRateLimitStore;
    await store.connected(20_000);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await Promise.all(
      procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((resolve) => (p.once('exit', resolve), p.kill('SIGKILL'))) : undefined)),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides several limits per key in one script on whichever shard owns the key, exactly', async () => {
    const limits = [limitSpec(3, 60_000), limitSpec(100, 3_600_000)];
    const keys = Array.from({ length: 30 }, (_, i) => `r=orders|c=consumer-${i}`);
    for (const key of keys) {
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await store.decide(key, limits, 'local'));
      expect(decisions.map((d) => [d.source, d.allowed])).toEqual([
        ['redis', true],
        ['redis', true],
        ['redis', true],
        ['redis', false],
      ]);
    }
    // The counters landed on more than one master.
    const client = new Cluster([{ host: '127.0.0.1', port: ports[0]! }], { redisOptions: { disconnectTimeout: 100 } });
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const perNode = await Promise.all(client.nodes('master').map((n) => n.keys(`${keyPrefix}*`)));
      expect(perNode.flat()).toHaveLength(keys.length * limits.length);
      expect(perNode.filter((k) => k.length > 0).length).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
  });
});
