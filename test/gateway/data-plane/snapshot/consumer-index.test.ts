/**
 * One consumer index per config document: every key-auth, basic-auth and jwt-auth route looks
 * credentials up in the snapshot's index; a change set updates the index for the consumers it names
 * and leaves every route's plugin chain as it is; the snapshot it replaces keeps its own index
 * (requests in flight authenticate against the consumers they started with).
 */
import pino from 'pino';
import { diffDocuments, documentDigest, validateConfig, type GatewayConfig } from '../../../../gateway/src/config';
import { DataPlane } from '../../../../gateway/src/data-plane';
import { SnapshotCompiler } from '../../../../gateway/src/data-plane/snapshot';
import type { Snapshot } from '../../../../gateway/src/data-plane/types';
import { createPluginRegistry, type RequestContext } from '../../../../gateway/src/plugins';
import { hashKey, hashPassword } from '../../../../gateway/src/plugins/credentials';
import { UPSTREAMS } from './config';

const registry = createPluginRegistry();
const KEYS = ['alice-key-0123456789', 'bob-key-0123456789ab', 'carol-key-0123456789'];

function doc(consumers: readonly object[]): GatewayConfig {
  const result = validateConfig(
    {
      upstreams: UPSTREAMS,
      routes: [
        { id: 'k1', paths: ['/k1'], upstream: 'u', plugins: { 'key-auth': {} } },
        { id: 'k2', paths: ['/k2/*'], upstream: 'u', plugins: { 'key-auth': { header: 'x-key' } } },
        { id: 'open', paths: ['/open'], upstream: 'u' },
        { id: 'basic', paths: ['/basic'], upstream: 'u', plugins: { 'basic-auth': {} } },
      ],
      consumers,
    },
    registry.checker,
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const consumer = (i: number, extra: object = {}) => ({ id: ['alice', 'bob', 'carol'][i]!, plugins: { 'key-auth': { key: KEYS[i]! } }, ...extra });

function ctxFor(snapshot: Snapshot, path: string, headers: Record<string, string>): RequestContext {
  const m = snapshot.match('GET', undefined, path, headers)!;
  return {
    requestId: 'r',
    method: 'GET',
    path,
    query: '',
    headers: { ...headers },
    remoteAddress: '127.0.0.1',
    clientAddress: '127.0.0.1',
    route: m.route.config,
    params: m.params,
    upstreamPath: path,
    responseHeaders: {},
    vars: new Map(),
    consumerIndex: snapshot.consumers,
  };
}

/** Who key-auth admits on `path` with `key` on this snapshot, or the answer's status. */
async function admitted(snapshot: Snapshot, path: string, header: string, key: string): Promise<string | number> {
  const ctx = ctxFor(snapshot, path, { [header]: key });
  const answer = await snapshot.match('GET', undefined, path, {})!.route.plugins.access(ctx);
  return answer ? answer.status : ctx.consumer!.id;
}

const chains = (s: Snapshot) => ['/k1', '/k2/x', '/open', '/basic'].map((p) => s.match('GET', undefined, p, {})!.route.plugins);

describe('consumer index', () => {
  let dp: DataPlane;
  let config: GatewayConfig;
  let version: number;
  beforeEach(async () => {
    dp = new DataPlane({ log: pino({ level: 'silent' }), compilation: new SnapshotCompiler(), plugins: registry });
    config = doc([consumer(0), consumer(1)]);
    version = 1;
    const r = await dp.apply(config, { version, checksum: 'c1', source: 'store' });
    expect(r).toEqual({ applied: true, version: 1 });
  });
  afterEach(() => dp.close());

  async function change(next: GatewayConfig): Promise<Snapshot> {
    const set = diffDocuments(config, next)!;
    const r = await dp.applyChanges({ baseVersion: version, steps: [set], digest: documentDigest(next) }, { version: version + 1, checksum: `c${version + 1}`, source: 'store' });
    if (!r.applied) throw new Error(r.reason);
    version++;
    config = r.document;
    return dp.snapshot!;
  }

  test('every key-auth route finds consumers in the one index of the document', async () => {
    const s = dp.snapshot!;
    expect((s.consumers.find('key-auth', hashKey(KEYS[0]!)) as { id: string }).id).toBe('alice');
    expect(await admitted(s, '/k1', 'x-api-key', KEYS[0]!)).toBe('alice');
    expect(await admitted(s, '/k2/x', 'x-key', KEYS[1]!)).toBe('bob');
    expect(await admitted(s, '/k1', 'x-api-key', KEYS[2]!)).toBe(401);
  });

  test('removing a consumer updates the index, keeps every chain, and leaves the replaced snapshot as it was', async () => {
    const before = dp.snapshot!;
    const after = await change({ ...config, consumers: config.consumers.filter((c) => c.id !== 'alice') });
    expect(chains(after)).toEqual(chains(before));
    chains(after).forEach((chain, i) => expect(chain).toBe(chains(before)[i]));
    expect(await admitted(after, '/k1', 'x-api-key', KEYS[0]!)).toBe(401);
    expect(await admitted(after, '/k1', 'x-api-key', KEYS[1]!)).toBe('bob');
    // A request still running on the replaced snapshot authenticates against its consumers.
    expect(await admitted(before, '/k1', 'x-api-key', KEYS[0]!)).toBe('alice');
  });

  test('adding a consumer and changing a key update the index and keep every chain', async () => {
    const before = dp.snapshot!;
    const added = await change(doc([consumer(0), consumer(1), consumer(2)]));
    chains(added).forEach((chain, i) => expect(chain).toBe(chains(before)[i]));
    expect(await admitted(added, '/k2/x', 'x-key', KEYS[2]!)).toBe('carol');
    expect(await admitted(before, '/k2/x', 'x-key', KEYS[2]!)).toBe(401);
    // Bob's key changes: the old key stops working on the new snapshot only.
    const rekeyed = await change(doc([consumer(0), { id: 'bob', plugins: { 'key-auth': { key: 'bob-new-key-0123456789' } } }, consumer(2)]));
    chains(rekeyed).forEach((chain, i) => expect(chain).toBe(chains(before)[i]));
    expect(await admitted(rekeyed, '/k1', 'x-api-key', KEYS[1]!)).toBe(401);
    expect(await admitted(rekeyed, '/k1', 'x-api-key', 'bob-new-key-0123456789')).toBe('bob');
    expect(await admitted(added, '/k1', 'x-api-key', KEYS[1]!)).toBe('bob');
  });

  test('basic-auth: a password verified on the replaced snapshot is not taken from the cache once the password changed', async () => {
    const cheap = { N: 1024, r: 8, p: 1 };
    const basic = (hash: string) => ({ id: 'dora', plugins: { 'basic-auth': { username: 'dora', passwordHash: hash } } });
    config = doc([consumer(0), basic(await hashPassword('old-password', cheap))]);
    expect(await dp.apply(config, { version: ++version, checksum: 'c', source: 'store' })).toEqual({ applied: true, version });
    const before = dp.snapshot!;
    const signIn = async (s: Snapshot, password: string) => {
      const ctx = ctxFor(s, '/basic', { authorization: `Basic ${Buffer.from(`dora:${password}`).toString('base64')}` });
      const answer = await s.match('GET', undefined, '/basic', {})!.route.plugins.access(ctx);
      return answer ? answer.status : ctx.consumer!.id;
    };
    // Verified once: remembered by the chain.
    expect(await signIn(before, 'old-password')).toBe('dora');
    const after = await change(doc([consumer(0), basic(await hashPassword('new-password', cheap))]));
    chains(after).forEach((chain, i) => expect(chain).toBe(chains(before)[i]));
    expect(await signIn(after, 'old-password')).toBe(401);
    expect(await signIn(after, 'new-password')).toBe('dora');
    expect(await signIn(before, 'old-password')).toBe('dora');
  });
});
