/**
 * The kit's ElastiCache RBAC user, on a real redis-server: the gateway connects with the user name and
 * password of the REDIS_URL the kit assembles, the rate-limit store decides through Redis with exactly
 * the access string the kit gives the user, and the user can touch nothing outside the gateway's keys.
 * (ElastiCache user guide, "Role-Based Access Control": access strings are Redis ACL rules.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { GATEWAY_REDIS_ACCESS_STRING } from '../../../infra/lib';
import { createRedisClient, RedisRateLimitStore } from '../../../gateway/src/plugins/rate-limit/redis';
import { DEFAULT_KEY_PREFIX } from '../../../gateway/src/plugins/rate-limit/factory';
import { freePort } from '../../../support/free-port';

const USER = 'gatehouse-test-gateway';
const PASSWORD = 'p4ssw0rdWithoutPunctuation0123456789abcdefghijklmnopqrstuvwxyzAB';
const LIMIT = [{ count: 2, windowMs: 60_000, burst: 2, id: '2/60000/2' }];

let server: ChildProcess;
let port: number;
let dir: string;
const closers: Array<() => Promise<unknown> | void> = [];

async function reachable(): Promise<boolean> {
  const probe = new Redis({ port, username: USER, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

beforeAll(async () => {
  port = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-redis-rbac-'));
  // The user as the kit defines it, and the default user switched off as in the kit's user group.
  const conf = [`port ${port}`, 'bind 127.0.0.1', 'save ""', 'appendonly no', `user ${USER} ${GATEWAY_REDIS_ACCESS_STRING} >${PASSWORD}`, 'user default off -@all'];
  fs.writeFileSync(path.join(dir, 'redis.conf'), conf.join('\n') + '\n');
  server = spawn('redis-server', [path.join(dir, 'redis.conf')], { stdio: 'ignore' });
  server.once('error', (err) => {
    throw new Error(`cannot run redis-server (${err.message}); install Redis so that redis-server is on PATH`);
  });
  const deadline = Date.now() + 15_000;
  while (!(await reachable())) {
    if (Date.now() > deadline) throw new Error(`redis-server with the kit's ACL user did not come up on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  server?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the gateway decides through Redis as the kit\'s user (user name and password from REDIS_URL)', async () => {
  const client = createRedisClient(`redis://${USER}:${PASSWORD}@127.0.0.1:${port}`);
  const store = new RedisRateLimitStore(client, { keyPrefix: DEFAULT_KEY_PREFIX, budgetMs: 1_000, nodeCount: 1 });
  closers.push(() => store.close());
  await store.connected();
  const decisions = [];
  for (let i = 0; i < 3; i++) decisions.push(await store.decide('consumer-a', LIMIT, 'deny'));
  expect(decisions.map((d) => [d.allowed, d.source])).toEqual([
    [true, 'redis'],
    [true, 'redis'],
    [false, 'redis'],
  ]);
});

test('the user cannot touch keys outside the gateway prefix, nor flush or list the keyspace', async () => {
  const client = new Redis({ port, username: USER, password: PASSWORD, maxRetriesPerRequest: 0 });
  closers.push(() => client.disconnect());
  await expect(client.set('other-app:key', '1')).rejects.toThrow(/NOPERM/);
  await expect(client.flushall()).rejects.toThrow(/NOPERM/);
  await expect(client.keys('*')).rejects.toThrow(/NOPERM/);
  await expect(client.set(`${DEFAULT_KEY_PREFIX}probe`, '1')).resolves.toBe('OK');
});

test('the default user is off and a wrong password is refused', async () => {
  const anonymous = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const wrong = new Redis({ port, username: USER, password: 'wrong', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  closers.push(() => anonymous.disconnect(), () => wrong.disconnect());
  await anonymous.connect().catch(() => undefined);
  await expect(anonymous.get(`${DEFAULT_KEY_PREFIX}probe`)).rejects.toThrow(/NOAUTH|NOPERM|closed/i);
  const refusal = new Promise<Error>((resolve) => wrong.once('error', resolve));
  await wrong.connect().catch(() => undefined);
  expect((await refusal).message).toMatch(/WRONGPASS/);
});
