/**
 * The data plane resolves secret fields before it compiles: envelopes, `$env://` and
 * `$secret://aws/` references, the latter through the real AWS SDK against a local fake of the
 * Secrets Manager API (refresh, rotation, the API unavailable). Unresolvable means absent: 401.
 */
import { createHmac } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import pino from 'pino';
import { configChecksum } from '../../../gateway/src/core/checksum';
import { newKeyEntry, parseKeyring } from '../../../gateway/src/config/secrets';
import { DataPlane } from '../../../gateway/src/data-plane';
import { createSecretResolver } from '../../../gateway/src/data-plane/secrets';
import { SnapshotCompiler } from '../../../gateway/src/data-plane/snapshot';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { startFakeSecretsManager, type FakeSecretsManager } from '../../helpers/secrets-manager';
import { waitFor } from '../../helpers/control-plane/wait';
import { decide, fakeContext } from '../plugins/harness';
import { LogLines } from '../data-plane/proxy/harness';

const ALICE = 'alice-aws-secret-0123456789abcdef!!';
const ALICE_ROTATED = 'alice-aws-rotated-0123456789abcdef!!';
const BOB = 'bob-whole-aws-secret-0123456789abcdef';
const CAROL = 'carol-env-secret-0123456789abcdef!!';
const FRANK = 'frank-inline-secret-0123456789abcdef';
const keyring = parseKeyring(newKeyEntry('k1'), 'GATEHOUSE_SECRETS_KEYS')!;
const stranger = parseKeyring(newKeyEntry('k9'), 'GATEHOUSE_SECRETS_KEYS')!;

const consumer = (id: string, secret: string) => ({ id, plugins: { 'jwt-auth': { subject: id, secret } } });
const document = {
  upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
  routes: [{ id: 'api', paths: ['/api/*'], upstream: 'u', plugins: { 'jwt-auth': {} } }],
  consumers: [
    consumer('alice', '$secret://aws/prod/gatehouse#alice'),
    consumer('bob', '$secret://aws/plain-bob'),
    consumer('carol', '$env://CAROL_SECRET'),
    consumer('dave', '$env://DAVE_SECRET'),
    consumer('erin', '$secret://aws/prod/gatehouse#erin'),
    consumer('frank', keyring.encrypt(FRANK)),
    consumer('gina', stranger.encrypt(FRANK)),
    consumer('hank', '(secret)'),
    consumer('ivy', '$secret://aws/prod/gatehouse#ivy'),
  ],
  plugins: {},
};
const claims = (sub: string) => ({ sub, exp: Math.floor(Date.now() / 1000) + 60 });
/** An HS256 token; with an empty secret signed by hand (fast-jwt refuses to), to prove an absent secret is not an empty one. */
function token(sub: string, secret: string): string {
  if (secret) return `Bearer ${createSigner({ key: secret, algorithm: 'HS256' })(claims(sub))}`;
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims(sub))}`;
  return `Bearer ${signed}.${createHmac('sha256', '').update(signed).digest('base64url')}`;
}

describe('secret references in the data plane', () => {
  let fake: FakeSecretsManager;
  const planes: DataPlane[] = [];

  async function dataPlane(refreshMs = 3_600_000) {
    const logs = new LogLines();
    const log = pino({ level: 'debug' }, logs);
    const registry = createPluginRegistry();
    const secrets = createSecretResolver({ checker: registry.checker, keyring, client: fake.client, refreshMs, env: { CAROL_SECRET: CAROL, DAVE_SECRET: '' }, log });
    const dp = new DataPlane({ log, compilation: new SnapshotCompiler(), plugins: registry, secrets });
    planes.push(dp);
    const applied = await dp.apply(document, { version: 1, checksum: configChecksum(document), source: 'store' });
    expect(applied).toEqual({ applied: true, version: 1 });
    /** The status the route's plugins answer for `sub` presenting a token signed with `secret` (200: admitted). */
    const status = async (sub: string, secret: string) => {
      const snapshot = dp.snapshot!;
      const match = snapshot.match('GET', undefined, '/api/x', {});
      const answer = await decide(match!.route.plugins, fakeContext(snapshot.config, { path: '/api/x', headers: { authorization: token(sub, secret) } }));
      return answer?.status ?? 200;
    };
    return { dp, secrets, logs, status };
  }

  beforeEach(async () => {
    fake = await startFakeSecretsManager({ 'prod/gatehouse': JSON.stringify({ alice: ALICE, ivy: '' }), 'plain-bob': BOB });
  });
  afterEach(async () => {
    for (const dp of planes.splice(0)) await dp.close();
    await fake.close();
  });

  it('resolves AWS (JSON key and whole value), env and envelope secrets, and admits their consumers', async () => {
    const { status } = await dataPlane();
    expect(await status('alice', ALICE)).toBe(200);
    expect(await status('bob', BOB)).toBe(200);
    expect(await status('carol', CAROL)).toBe(200);
    expect(await status('frank', FRANK)).toBe(200);
    expect(await status('alice', BOB)).toBe(401);
    expect(fake.requests.sort()).toEqual(['plain-bob', 'prod/gatehouse']);
  });

  it('treats an unresolvable secret as absent (401, never an empty key) and logs the field and fix', async () => {
    const { status, logs } = await dataPlane();
    for (const sub of ['dave', 'erin', 'gina', 'hank', 'ivy']) {
      expect(await status(sub, '')).toBe(401);
      expect(await status(sub, FRANK)).toBe(401);
    }
    const errors = logs.lines.filter((l) => l.level === 50 && typeof l.field === 'string').map((l) => ({ field: l.field, reason: l.reason }));
    expect(errors).toEqual([
      { field: '/consumers/3/plugins/jwt-auth/secret', reason: 'environment variable DAVE_SECRET is not set or empty' },
      { field: '/consumers/4/plugins/jwt-auth/secret', reason: 'AWS secret "prod/gatehouse" has no string at key "erin"' },
      { field: '/consumers/6/plugins/jwt-auth/secret', reason: 'it was encrypted under key id "k9", which is not in the keyring (k1)' },
      { field: '/consumers/7/plugins/jwt-auth/secret', reason: 'the config holds the read placeholder "(secret)", not a secret' },
      { field: '/consumers/8/plugins/jwt-auth/secret', reason: 'it resolves to an empty value' },
    ]);
    const gina = logs.lines.find((l) => l.field === '/consumers/6/plugins/jwt-auth/secret')!;
    expect(gina.fix).toBe('set GATEHOUSE_SECRETS_KEYS on the data plane to the keys of the control plane (docs/RUNBOOK.md, "Secrets keys").');
  });

  it('uses a rotated value after a refresh, and keeps the cached value while the API is unavailable', async () => {
    const { status, secrets, logs } = await dataPlane();
    fake.secrets.set('prod/gatehouse', JSON.stringify({ alice: ALICE_ROTATED }));
    await secrets.refresh();
    expect(await status('alice', ALICE_ROTATED)).toBe(200);
    expect(await status('alice', ALICE)).toBe(401);

    fake.unavailable = true;
    await secrets.refresh();
    expect(await status('alice', ALICE_ROTATED)).toBe(200);
    expect(await status('bob', BOB)).toBe(200);
    expect(logs.lines.some((l) => l.level === 40 && l.secretId === 'prod/gatehouse' && String(l.msg).includes('keeping the cached value'))).toBe(true);
  });

  it('with the API unavailable and nothing cached, refuses until the secret can be fetched', async () => {
    fake.unavailable = true;
    const { status, secrets, logs } = await dataPlane();
    expect(await status('alice', ALICE)).toBe(401);
    expect(await status('carol', CAROL)).toBe(200);
    expect(logs.lines.some((l) => l.level === 50 && l.secretId === 'prod/gatehouse')).toBe(true);
    fake.unavailable = false;
    await secrets.refresh();
    expect(await status('alice', ALICE)).toBe(200);
  });

  it('refreshes in the background on its interval', async () => {
    const { status } = await dataPlane(50);
    fake.secrets.set('plain-bob', 'bob-rotated-in-background-0123456789');
    await waitFor(async () => (await status('bob', 'bob-rotated-in-background-0123456789')) === 200, 'the background refresh to pick up the rotated value');
    expect(await status('bob', BOB)).toBe(401);
  });
});
