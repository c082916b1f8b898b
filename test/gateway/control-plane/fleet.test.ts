/**
 * The fleet view's reading of the heartbeat prefix: a node speaks only for itself (the id inside must
 * be the key's), junk and oversized objects are skipped, and the lag rule (below a version committed
 * `lagAfterMs` ago) and quiet rule (S3's LastModified older than `quietAfterMs`) hold.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FleetView } from '../../../gateway/src/control-plane';
import { expectedVersion } from '../../../gateway/src/control-plane/fleet';
import type { ConfigVersionHead } from '../../../gateway/src/store/types';
import { heartbeatKey, parseHeartbeat, type Heartbeat } from '../../../gateway/src/sync/heartbeat';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';

const PREFIX = 'gatehouse-heartbeats';
const head = (version: number, createdAt: number): ConfigVersionHead => ({
  version,
  checksum: `sha256:${version}`,
  author: 't',
  message: '',
  intendedDrop: false,
  routeCount: 1,
  createdAt: new Date(createdAt).toISOString(),
});
const beat = (id: string, configVersion: number, extra: Partial<Heartbeat> = {}): Heartbeat => ({
  id,
  region: 'us-east-1',
  role: 'data-plane',
  gatewayVersion: '0.1.0',
  configVersion,
  checksum: `sha256:${configVersion}`,
  source: 'store',
  lastSyncAt: new Date().toISOString(),
  errors: [],
  writtenAt: new Date().toISOString(),
  ...extra,
});

describe('fleet view: reading heartbeats', () => {
  let s3: TestS3;
  const put = (key: string, body: string) => s3.client.send(new PutObjectCommand({ Bucket: s3.location.bucket, Key: key, Body: body }));

  beforeAll(async () => {
    s3 = await startS3('fleet-unit', PREFIX);
  });
  afterAll(() => s3.close());

  it('skips objects that are not a valid heartbeat, name another node, or are too large', async () => {
    const warnings: string[] = [];
    await put(heartbeatKey(PREFIX, 'good'), JSON.stringify(beat('good', 2)));
    await put(heartbeatKey(PREFIX, 'liar'), JSON.stringify(beat('good', 1)));
    await put(heartbeatKey(PREFIX, 'junk'), '{not json');
    await put(heartbeatKey(PREFIX, 'wrong-type'), JSON.stringify({ ...beat('wrong-type', 2), configVersion: 'latest' }));
    await put(heartbeatKey(PREFIX, 'huge'), JSON.stringify({ ...beat('huge', 2), region: 'x'.repeat(20_000) }));
    await put(`${PREFIX}/nested/deeper.json`, JSON.stringify(beat('deeper', 2)));
    const now = Date.now();
    const fleet = new FleetView({
      location: { client: s3.client, bucket: s3.location.bucket, prefix: PREFIX },
      store: { list: async () => [head(2, now - 60_000), head(1, now - 120_000)] },
      quietAfterMs: 60_000,
      lagAfterMs: 10_000,
      forgetAfterMs: 3_600_000,
      logger: { info: () => undefined, error: () => undefined, warn: (o, m) => warnings.push(`${m} ${JSON.stringify(o)}`) },
    });
    const view = await fleet.read();
    expect(view.configVersion).toBe(2);
    expect(view.nodes.map((n) => [n.id, n.state])).toEqual([['good', 'ok']]);
    expect(warnings.some((w) => w.includes('does not match the key') && w.includes('liar'))).toBe(true);
    expect(warnings.some((w) => w.includes('not JSON') && w.includes('junk'))).toBe(true);
    expect(warnings.some((w) => w.includes('/configVersion') && w.includes('wrong-type'))).toBe(true);
    expect(warnings.some((w) => w.includes('too large') && w.includes('huge'))).toBe(true);
  });

  it('parses a heartbeat and rejects an id that could name another prefix', () => {
    expect(parseHeartbeat(JSON.stringify(beat('ip-10-0-1-23.ec2.internal', 1))).ok).toBe(true);
    expect(parseHeartbeat(JSON.stringify(beat('../versions/7', 1)))).toEqual({ ok: false, reason: expect.stringContaining('/id') });
  });

  it('expects the newest version committed at least lagAfterMs ago', () => {
    const now = 1_000_000;
    const heads = [head(5, now - 1_000), head(4, now - 30_000), head(3, now - 90_000)];
    expect(expectedVersion(heads, now - 10_000)).toBe(4);
    expect(expectedVersion(heads, now - 100_000)).toBe(0);
    expect(expectedVersion([], now)).toBe(0);
  });
});
