/**
 * `gatehouse apply --via s3://bucket/prefix`: for CI runners with AWS credentials but no route to the
 * admin API. The CLI writes a dry-run request, prints the diff the control plane answers, then writes
 * the real request with If-Match on the version that diff was made against, and prints the result.
 * Each request's object key is its Idempotency-Key. The author is sent as `x-amz-meta-author`.
 * Endpoint and addressing for S3-compatible servers: GATEHOUSE_S3_ENDPOINT, GATEHOUSE_S3_FORCE_PATH_STYLE.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeployChannel, type DeployRequest, type DeployResult } from '../control-plane/contract';
import type { ApplyOptions } from './commands/apply';
import { readDesiredConfig } from './config-files';
import { CliError } from './errors';
import { printDiff, stdout } from './render';

/** How long the CLI waits for the control plane's answer (it polls every few seconds). */
const RESULT_TIMEOUT_MS = 180_000;
const RESULT_POLL_MS = 1_000;

function parseVia(via: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(via);
  if (!m) throw new CliError(`--via must be s3://<backup bucket>/<backup prefix> (got "${via}"), e.g. s3://gatehouse-backup-123/gatehouse.`);
  return { bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') };
}

/** Who asks: GATEHOUSE_DEPLOY_AUTHOR (CI sets it to the deployer's IAM principal), else the CI actor or the local user. */
function author(): string {
  const env = process.env;
  return (env.GATEHOUSE_DEPLOY_AUTHOR ?? env.GITHUB_ACTOR ?? env.GITLAB_USER_LOGIN ?? userInfo().username).replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
}

function client(): S3Client {
  const endpoint = process.env.GATEHOUSE_S3_ENDPOINT;
  return new S3Client({ ...(endpoint ? { endpoint } : {}), forcePathStyle: process.env.GATEHOUSE_S3_FORCE_PATH_STYLE === 'true', region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' });
}

async function send(s3: S3Client, where: { bucket: string; prefix: string }, request: DeployRequest): Promise<DeployResult> {
  const key = randomUUID();
  await s3
    .send(new PutObjectCommand({ Bucket: where.bucket, Key: DeployChannel.request(where.prefix, key), Body: JSON.stringify(request), ContentType: 'application/json', Metadata: { [DeployChannel.authorMetadata]: author() } }))
    .catch((err: Error) => {
      throw new CliError(`cannot write the deploy request to s3://${where.bucket}/${DeployChannel.request(where.prefix, key)}: ${err.name}: ${err.message}. Use credentials of the config-deployer role.`);
    });
  const deadline = Date.now() + RESULT_TIMEOUT_MS;
  for (;;) {
    // Listed first: without s3:ListBucket, S3 answers a missing object with 403, not 404 (S3 API Reference, GetObject).
    const resultKey = DeployChannel.result(where.prefix, key);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: resultKey, MaxKeys: 1 })).catch((err: Error) => {
      throw new CliError(`cannot look for the deploy result: ${err.name}: ${err.message}.`);
    });
    const got = listed.Contents?.some((o) => o.Key === resultKey)
      ? await s3
          .send(new GetObjectCommand({ Bucket: where.bucket, Key: resultKey }))
          .then(async (o) => JSON.parse(await o.Body!.transformToString()) as DeployResult)
          .catch((err: Error) => {
            throw new CliError(`cannot read the deploy result: ${err.name}: ${err.message}.`);
          })
      : undefined;
    if (got) return got;
    if (Date.now() > deadline)
      throw new CliError(`no result after ${RESULT_TIMEOUT_MS / 1000} s for request ${key}: is a control plane running with this backup bucket? The request stays and will still be applied once.`);
    await sleep(RESULT_POLL_MS);
  }
}

function refused(result: DeployResult): never {
  const drop = result.error?.code === 'GW_ERR_CONFIG_DROP' ? ' Nothing was applied; pass --allow-drop if the drop is intended.' : '';
  throw new CliError(`${result.error?.message ?? 'the control plane refused the request.'}${drop}`, result.problems ?? [], result.error?.code);
}

export async function applyViaS3(paths: string[], opts: ApplyOptions): Promise<void> {
  if (opts.selectTag) throw new CliError('--select-tag needs the live config, which --via cannot read; apply tagged files through the admin API.');
  const where = parseVia(opts.via!);
  const desired = readDesiredConfig(paths);
  const s3 = client();
  try {
    const dry = await send(s3, where, { document: desired.document, dryRun: true, allowDrop: !!opts.allowDrop });
    if (dry.outcome === 'refused') refused(dry);
    if (!printDiff(stdout, dry.diff!, `version ${dry.baseVersion} → files (via s3)`)) return void stdout.write(`unchanged: version ${dry.baseVersion}\n`);
    if (opts.dryRun) return void stdout.write('dry run: nothing applied\n');
    const result = await send(s3, where, { document: desired.document, expectedVersion: dry.baseVersion, allowDrop: !!opts.allowDrop, message: opts.message });
    if (result.outcome === 'refused') refused(result);
    stdout.write(result.outcome === 'unchanged' ? `unchanged: version ${result.version}\n` : `applied: version ${result.version}\n`);
  } finally {
    s3.destroy();
  }
}
