/**
 * The fleet view: which data planes exist, what each runs, and which lag or have gone quiet, read
 * from the heartbeats they write to S3 (`sync/heartbeat.ts`). Quietness is judged by S3's own
 * LastModified, not the node's clock; lag by the newest version the node has had `lagAfterMs` to
 * apply. The counts per state are exported for one alarm over the whole fleet.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Gauge, type Registry } from 'prom-client';
import { silentLogger, type SourceLogger } from '../core/logger';
import type { ConfigStore, ConfigVersionHead } from '../store/types';
import { heartbeatKeyPrefix, MAX_HEARTBEAT_BYTES, parseHeartbeat, type Heartbeat, type HeartbeatLocation } from '../sync/heartbeat';

export type NodeState = 'ok' | 'lagging' | 'quiet';
export const NODE_STATES: readonly NodeState[] = ['ok', 'lagging', 'quiet'];

/** One data plane as `GET /admin/v1/nodes` lists it. */
export interface FleetNode extends Omit<Heartbeat, 'writtenAt' | 'stopped'> {
  readonly lastSeenAt: string;
  readonly state: NodeState;
}

export interface Fleet {
  readonly nodes: FleetNode[];
  /** The store's head version (0 when empty). */
  readonly configVersion: number;
}

export interface FleetViewOptions {
  readonly location: HeartbeatLocation;
  readonly store: Pick<ConfigStore, 'list'>;
  /** A node whose heartbeat is older than this is quiet. */
  readonly quietAfterMs: number;
  /** A node still below a version committed this long ago is lagging. */
  readonly lagAfterMs: number;
  /** Heartbeats of stopped or long-quiet nodes older than this are left out. */
  readonly forgetAfterMs: number;
  readonly registry?: Registry;
  readonly logger?: SourceLogger;
  readonly now?: () => number;
}

/** Reads of S3 at most this often; scrapes and admin calls in between share one read. */
const FLEET_READ_MIN_INTERVAL_MS = 2_000;
/** Heartbeat objects fetched at once. */
const FETCH_CONCURRENCY = 16;
/** Version heads examined to find the one every node should have by now. */
const LAG_WINDOW_VERSIONS = 100;

export class FleetView {
  private last: { at: number; fleet: Promise<Fleet> } | undefined;
  private readonly log: SourceLogger;
  private readonly now: () => number;

  constructor(private readonly options: FleetViewOptions) {
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    if (options.registry) {
      const view = this;
      new Gauge({
        name: 'gatehouse_fleet_nodes',
        help: 'Data planes by state (ok, lagging, quiet), from their heartbeats.',
        labelNames: ['state'],
        registers: [options.registry],
        async collect() {
          const counts = await view.counts().catch(() => undefined);
          // No answer from S3: no numbers, rather than zeros that would clear the alarm.
          this.reset();
          if (counts) for (const s of NODE_STATES) this.set({ state: s }, counts[s]);
        },
      });
    }
  }

  /** The fleet now (shares a read made less than a couple of seconds ago). */
  read(): Promise<Fleet> {
    const at = this.now();
    if (!this.last || at - this.last.at >= FLEET_READ_MIN_INTERVAL_MS) {
      const fleet = this.readNow();
      this.last = { at, fleet };
      fleet.catch(() => {
        if (this.last?.fleet === fleet) this.last = undefined;
      });
    }
    return this.last.fleet;
  }

  async counts(): Promise<Record<NodeState, number>> {
    const counts: Record<NodeState, number> = { ok: 0, lagging: 0, quiet: 0 };
    for (const n of (await this.read()).nodes) counts[n.state]++;
    return counts;
  }

  private async readNow(): Promise<Fleet> {
    const [beats, heads] = await Promise.all([this.heartbeats(), this.options.store.list({ limit: LAG_WINDOW_VERSIONS })]);
    const now = this.now();
    const expected = expectedVersion(heads, now - this.options.lagAfterMs);
    const nodes: FleetNode[] = [];
    for (const { heartbeat, seenAt } of beats) {
      const age = now - seenAt;
      if (heartbeat.stopped || age > this.options.forgetAfterMs) continue;
      const { writtenAt: _w, stopped: _s, ...rest } = heartbeat;
      const state: NodeState = age > this.options.quietAfterMs ? 'quiet' : heartbeat.configVersion < expected ? 'lagging' : 'ok';
      nodes.push({ ...rest, lastSeenAt: new Date(seenAt).toISOString(), state });
    }
    nodes.sort((a, b) => a.region.localeCompare(b.region) || a.id.localeCompare(b.id));
    return { nodes, configVersion: heads[0]?.version ?? 0 };
  }

  private async heartbeats(): Promise<{ heartbeat: Heartbeat; seenAt: number }[]> {
    const { client, bucket, prefix } = this.options.location;
    const keyPrefix = heartbeatKeyPrefix(prefix);
    const objects: { key: string; seenAt: number }[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key?.endsWith('.json') || o.Key.slice(keyPrefix.length).includes('/')) continue;
        if ((o.Size ?? 0) > MAX_HEARTBEAT_BYTES) {
          this.log.warn({ key: o.Key, size: o.Size }, 'fleet view: heartbeat object too large; skipped');
          continue;
        }
        objects.push({ key: o.Key, seenAt: o.LastModified?.getTime() ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    const out: { heartbeat: Heartbeat; seenAt: number }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < objects.length) {
        const o = objects[next++]!;
        const beat = await readHeartbeat(client, bucket, o.key, keyPrefix);
        if (beat.ok) out.push({ heartbeat: beat.heartbeat, seenAt: o.seenAt });
        else if (beat.reason) this.log.warn({ key: o.key, reason: beat.reason }, 'fleet view: not a valid heartbeat; skipped');
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, objects.length) }, worker));
    return out;
  }
}

/** The newest version committed at or before `cutoff` (every node should run at least that), 0 when none. */
export function expectedVersion(heads: readonly ConfigVersionHead[], cutoff: number): number {
  for (const h of heads) if (Date.parse(h.createdAt) <= cutoff) return h.version;
  // Every listed version is recent: only a node below all of them is certainly behind.
  const oldest = heads.at(-1);
  return heads.length >= LAG_WINDOW_VERSIONS && oldest ? oldest.version : 0;
}

async function readHeartbeat(client: S3Client, bucket: string, key: string, keyPrefix: string): Promise<{ ok: true; heartbeat: Heartbeat } | { ok: false; reason?: string }> {
  let text: string;
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await out.Body!.transformToString('utf8');
  } catch (err) {
    const name = (err as { name?: string }).name;
    // Deleted between the list and the read: not an error.
    if (name === 'NoSuchKey' || name === 'NotFound') return { ok: false };
    // One unreadable heartbeat (overwritten mid-read, a transient error) must not hide the others:
    // it is skipped and logged for this read; the next read sees it again.
    return { ok: false, reason: `could not be read (${name ?? (err as Error).message})` };
  }
  if (text.length > MAX_HEARTBEAT_BYTES) return { ok: false, reason: 'too large' };
  const parsed = parseHeartbeat(text);
  if (!parsed.ok) return parsed;
  // A node may only speak for itself: the id inside must be the one in the key.
  if (`${keyPrefix}${parsed.heartbeat.id}.json` !== key) return { ok: false, reason: `id ${parsed.heartbeat.id} does not match the key` };
  return parsed;
}
