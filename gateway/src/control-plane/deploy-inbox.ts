/**
 * The S3 deploy channel's control-plane end: CI runners outside the VPC cannot reach the admin API,
 * so `gatehouse apply --via s3://…` leaves a request under the backup bucket's `deploy/requests/`
 * prefix (which a bucket policy lets only the config-deployer role write). This polls that prefix,
 * applies each request through the config service exactly as `PUT /admin/v1/config` does
 * (validation, drop guard, If-Match, the request key as Idempotency-Key), writes a durable result
 * object and deletes the request. A store outage leaves the request for the next poll.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { GatehouseError } from '../core/errors';
import type { S3Location } from '../sync/s3';
import type { ConfigService } from './config-service';
import { DeployChannel, type DeployRequest, type DeployResult } from './contract';

/** How often the requests prefix is listed. */
export const DEFAULT_DEPLOY_POLL_MS = 5_000;
/** Requests handled per poll (the rest wait for the next one). */
const MAX_REQUESTS_PER_POLL = 20;

export interface DeployInboxOptions {
  client: S3Client;
  location: S3Location;
  service: ConfigService;
  log: Logger;
  /** Largest request accepted, as for the admin API's bodies. */
  bodyLimitBytes: number;
  pollMs?: number;
}

const refusal = (message: string) => new GatehouseError('GW_ERR_BAD_REQUEST', message);

/** The request's fields, checked; throws GW_ERR_BAD_REQUEST naming what is wrong. */
function parseRequest(text: string): DeployRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw refusal('the deploy request is not JSON; write it with `gatehouse apply --via`.');
  }
  const r = body as Record<string, unknown>;
  if (!r || typeof r !== 'object' || !r.document || typeof r.document !== 'object') throw refusal('the deploy request has no document.');
  if (r.expectedVersion !== undefined && !(Number.isInteger(r.expectedVersion) && (r.expectedVersion as number) >= 0)) throw refusal('expectedVersion must be a version number.');
  for (const flag of ['allowDrop', 'dryRun'] as const) if (r[flag] !== undefined && typeof r[flag] !== 'boolean') throw refusal(`${flag} must be true or false.`);
  if (r.message !== undefined && typeof r.message !== 'string') throw refusal('message must be a string.');
  return r as unknown as DeployRequest;
}

export class DeployInbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DeployInboxOptions) {}

  start(): void {
    const tick = () => {
      this.running = this.poll()
        .catch((err: unknown) => this.options.log.warn({ err: (err as Error).message }, 'deploy inbox: poll failed; retrying'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs ?? DEFAULT_DEPLOY_POLL_MS);
        });
    };
    tick();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Handles the requests waiting now. */
  async poll(): Promise<void> {
    const { client, location } = this.options;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: DeployChannel.requests(location.prefix), MaxKeys: MAX_REQUESTS_PER_POLL }));
    for (const object of listed.Contents ?? []) {
      const key = object.Key!.slice(DeployChannel.requests(location.prefix).length).replace(/\.json$/, '');
      if (this.stopped) return;
      await this.handle(key, object.Size ?? 0);
    }
  }

  private async handle(key: string, size: number): Promise<void> {
    const { client, location, service, log } = this.options;
    const requestKey = DeployChannel.request(location.prefix, key);
    const done = async (result: Omit<DeployResult, 'key'>) => {
      await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: DeployChannel.result(location.prefix, key), Body: JSON.stringify({ key, ...result }), ContentType: 'application/json' }));
      await client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: requestKey }));
      log.info({ key, outcome: result.outcome, version: result.version, author: result.author }, 'deploy inbox: request handled');
    };
    if (!DeployChannel.keyPattern.test(key)) {
      log.warn({ key }, 'deploy inbox: ignoring an object whose name is not a request key');
      return;
    }
    // Already answered (another control plane, or a crash between the result and the delete): only tidy up.
    const answered = await client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: DeployChannel.result(location.prefix, key) })).then(() => true, () => false);
    if (answered) return void (await client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: requestKey })));
    let author = 's3-deploy:unknown';
    try {
      if (size > this.options.bodyLimitBytes) throw new GatehouseError('GW_ERR_ADMIN_BODY_TOO_LARGE', `The limit is ${this.options.bodyLimitBytes} bytes.`);
      const object = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: requestKey }));
      // Who asked: the deployer's own claim (its IAM principal), trusted as far as the bucket policy lets only that role write here.
      author = `s3-deploy:${(object.Metadata?.[DeployChannel.authorMetadata] ?? 'unknown').slice(0, 200)}`;
      const request = parseRequest(await object.Body!.transformToString());
      const outcome = await service.change(
        {
          author,
          message: (request.message ?? 'gatehouse apply --via s3').slice(0, 1024),
          expectedVersion: request.expectedVersion,
          allowDrop: !!request.allowDrop,
          dryRun: !!request.dryRun,
          idempotencyKey: `s3:${key}`,
          overCorruptHead: true,
        },
        () => request.document,
      );
      if (outcome.dryRun) return await done({ outcome: 'dry-run', author, baseVersion: outcome.baseVersion, diff: outcome.diff });
      await done({ outcome: outcome.unchanged ? 'unchanged' : 'applied', author, version: outcome.version.version, ...(outcome.diff ? { diff: outcome.diff } : {}) });
    } catch (err) {
      // The store is down or slow: the request stays and is tried again (its key keeps the retry idempotent).
      if (!(err instanceof GatehouseError) || err.status >= 500) throw err;
      await done({ outcome: 'refused', author, error: { code: err.code, message: err.publicMessage }, ...(err.problems.length ? { problems: [...err.problems] } : {}) });
    }
  }
}
