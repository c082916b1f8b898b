/**
 * Data-plane heartbeats for the fleet view: each data plane writes one small JSON object,
 * `<prefix>/<nodeId>.json`, to the primary region's backup bucket on an interval, and the control
 * plane lists them. S3 is the channel because a secondary region's data planes reach only a read
 * replica (no writes) and have no route to the primary's admin API, but do reach S3 through the NAT.
 * A node that stops cleanly writes a last heartbeat marked `stopped`, so scale-in is not "quiet".
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { silentLogger, type SourceLogger } from '../core/logger';

/** Node ids become object keys: a small safe alphabet, so no id can name another prefix. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A heartbeat bigger than this is not ours (the control plane skips it). */
export const MAX_HEARTBEAT_BYTES = 16 * 1024;
/** Longest error message kept in a heartbeat. */
const MAX_MESSAGE_CHARS = 500;

const Text = (max: number) => Type.String({ maxLength: max });
const Time = Type.String({ maxLength: 40 });

/** What one data plane says about itself (the control plane checks every heartbeat against this). */
export const HeartbeatSchema = Type.Object({
  id: Type.String({ pattern: NODE_ID_PATTERN.source }),
  region: Text(64),
  role: Text(32),
  gatewayVersion: Text(64),
  /** 0 before the first version is loaded. */
  configVersion: Type.Integer({ minimum: 0 }),
  checksum: Type.Union([Text(80), Type.Null()]),
  source: Type.Union([Type.Literal('store'), Type.Literal('last-known-good'), Type.Literal('s3'), Type.Literal('file'), Type.Null()]),
  /** ISO time the config store last answered, or null when it never did. */
  lastSyncAt: Type.Union([Time, Type.Null()]),
  errors: Type.Array(Type.Object({ at: Time, reason: Text(32), message: Text(MAX_MESSAGE_CHARS) }), { maxItems: 10 }),
  /** ISO time on the node's clock (the reader trusts S3's LastModified for quietness instead). */
  writtenAt: Time,
  /** Set on the last heartbeat of a node that shut down cleanly. */
  stopped: Type.Optional(Type.Boolean()),
});

export type Heartbeat = Static<typeof HeartbeatSchema>;

/** The heartbeat in `text`, or why it is not one. */
export function parseHeartbeat(text: string): { ok: true; heartbeat: Heartbeat } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (!Value.Check(HeartbeatSchema, value)) {
    const first = Value.Errors(HeartbeatSchema, value).First();
    return { ok: false, reason: `${first?.path || '/'}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, heartbeat: value };
}

export interface HeartbeatLocation {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
}

const trim = (prefix: string) => prefix.replace(/^\/+|\/+$/g, '');
/** The key prefix the heartbeats live under (with its trailing slash, as ListObjects wants). */
export const heartbeatKeyPrefix = (prefix: string) => (trim(prefix) ? `${trim(prefix)}/` : '');
export const heartbeatKey = (prefix: string, nodeId: string) => `${heartbeatKeyPrefix(prefix)}${nodeId}.json`;

export interface HeartbeatWriterOptions {
  readonly location: HeartbeatLocation;
  readonly intervalMs: number;
  /** The node's state now; called for every heartbeat. */
  readonly state: () => Omit<Heartbeat, 'writtenAt' | 'stopped'>;
  readonly logger?: SourceLogger;
}

/** Writes this node's heartbeat now and then every `intervalMs`; failures are logged and retried at the next beat. */
export class HeartbeatWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private stopped = false;
  private readonly log: SourceLogger;

  constructor(private readonly options: HeartbeatWriterOptions) {
    this.log = options.logger ?? silentLogger;
  }

  start(): void {
    void this.beat();
  }

  /** Stops beating and writes the last heartbeat, marked stopped (best effort). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writing;
    await this.write(true);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    this.writing = this.write(false);
    await this.writing;
    this.writing = undefined;
    if (!this.stopped) this.timer = setTimeout(() => void this.beat(), this.options.intervalMs);
  }

  private async write(stopped: boolean): Promise<void> {
    const { client, bucket, prefix } = this.options.location;
    const state = this.options.state();
    const body: Heartbeat = {
      ...state,
      errors: state.errors.map((e) => ({ ...e, message: e.message.slice(0, MAX_MESSAGE_CHARS) })),
      writtenAt: new Date().toISOString(),
      ...(stopped ? { stopped: true } : {}),
    };
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: heartbeatKey(prefix, state.id), Body: JSON.stringify(body), ContentType: 'application/json' }));
    } catch (err) {
      this.log.warn({ bucket, err: (err as Error).message }, 'heartbeat not written: the control plane will show this node as quiet');
    }
  }
}
