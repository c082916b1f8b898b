/**
 * The S3 config backup layout, shared by the writer (control plane) and the reader (data plane cold
 * start): `<prefix>/versions/<n>.json` holds each version, `<prefix>/latest` names the newest.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { ConfigVersion } from '../store/types';
import { formatVersionFile, parseVersionFile } from './version-file';

export interface S3Location {
  bucket: string;
  prefix: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Only for S3-compatible servers without IAM (tests, MinIO); AWS uses the SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Bounded SDK retries: our own loop retries backups; a cold start must not hang on S3. */
const S3_MAX_ATTEMPTS = 3;

export function s3Client(loc: S3Location): S3Client {
  const config: S3ClientConfig = {
    region: loc.region ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: loc.forcePathStyle ?? false,
    maxAttempts: S3_MAX_ATTEMPTS,
  };
  if (loc.endpoint) config.endpoint = loc.endpoint;
  if (loc.credentials) config.credentials = loc.credentials;
  return new S3Client(config);
}

const trim = (prefix: string) => prefix.replace(/^\/+|\/+$/g, '');
const key = (prefix: string, rest: string) => (trim(prefix) ? `${trim(prefix)}/${rest}` : rest);
export const versionKey = (prefix: string, version: number) => key(prefix, `versions/${version}.json`);
export const latestKey = (prefix: string) => key(prefix, 'latest');

export interface LatestPointer {
  version: number;
  checksum: string;
  key: string;
}

/** Uploads one version object. */
export async function putVersion(client: S3Client, loc: S3Location, version: ConfigVersion): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: loc.bucket, Key: versionKey(loc.prefix, version.version), Body: formatVersionFile(version), ContentType: 'application/json' }),
  );
}

/** Moves the `latest` pointer (only after the version object it names is stored). */
export async function putLatest(client: S3Client, loc: S3Location, version: ConfigVersion): Promise<void> {
  const pointer: LatestPointer = { version: version.version, checksum: version.checksum, key: versionKey(loc.prefix, version.version) };
  await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: latestKey(loc.prefix), Body: JSON.stringify(pointer), ContentType: 'application/json' }));
}

async function getText(client: S3Client, bucket: string, objectKey: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
    return await out.Body!.transformToString('utf8');
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw err;
  }
}

/** The `latest` pointer, or undefined when the backup is empty. */
export async function readLatestPointer(client: S3Client, loc: S3Location): Promise<LatestPointer | undefined> {
  const text = await getText(client, loc.bucket, latestKey(loc.prefix));
  if (text === undefined) return undefined;
  const p = JSON.parse(text) as LatestPointer;
  if (!Number.isInteger(p.version)) throw new Error(`s3://${loc.bucket}/${latestKey(loc.prefix)} does not name a version`);
  return p;
}

export type S3Read = { ok: true; version: ConfigVersion } | { ok: false; reason: string };

/** Reads the newest backed-up version and verifies its checksum. */
export async function readLatestVersion(client: S3Client, loc: S3Location): Promise<S3Read> {
  try {
    const pointer = await readLatestPointer(client, loc);
    if (!pointer) return { ok: false, reason: `s3://${loc.bucket}/${latestKey(loc.prefix)} does not exist` };
    const objectKey = versionKey(loc.prefix, pointer.version);
    const text = await getText(client, loc.bucket, objectKey);
    if (text === undefined) return { ok: false, reason: `s3://${loc.bucket}/${objectKey} does not exist` };
    const parsed = await parseVersionFile(text);
    return parsed.ok ? parsed : { ok: false, reason: `s3://${loc.bucket}/${objectKey}: ${parsed.reason}` };
  } catch (err) {
    return { ok: false, reason: `S3 read failed: ${(err as Error).message}` };
  }
}
