/** A local S3 wire-protocol server (s3rver) on port 0, with a bucket, for the real @aws-sdk/client-s3. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client, type S3Location } from '../../../gateway/src/sync/s3';

// s3rver ships no types; this is the part used here.
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: object) => S3rverInstance;

export interface TestS3 {
  location: S3Location;
  client: S3Client;
  /** Stops the server (S3 down); `start` brings it back on the same port with the same data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(bucket = 'gatehouse-backup', prefix = 'test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'gh-s3-'));
  let port = 0;
  let server: S3rverInstance | undefined;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }], allowMismatchedSignatures: true });
    port = (await server.run()).port;
  };
  await start();
  const location: S3Location = {
    bucket,
    prefix,
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  };
  const client = s3Client(location);
  return {
    location,
    client,
    async stop() {
      await server?.close();
      server = undefined;
    },
    start,
    async close() {
      client.destroy();
      await server?.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
