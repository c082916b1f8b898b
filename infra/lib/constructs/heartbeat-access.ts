/**
 * The fleet view's channel in AWS: every data plane writes its heartbeat object under one prefix of
 * the primary region's backup bucket (secondary regions across regions, through their NAT), and the
 * control plane, which already reads that bucket, lists them. A task role may put objects under the
 * prefix only, and use the bucket's key (named by alias: no cross-region reference) only through S3
 * in the primary region.
 */
import type { GatewaySettings } from './gateway-settings';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The key prefix of the heartbeats (GATEHOUSE_HEARTBEAT_PREFIX, the gateway's default). */
export const HEARTBEAT_PREFIX = 'gatehouse-heartbeats';

/** Where the heartbeats go. */
export interface HeartbeatBucket {
  readonly bucketName: string;
  readonly region: string;
  /** Alias of the bucket's KMS key, e.g. `alias/gatehouse-backup`. */
  readonly keyAlias: string;
}

/** The gateway settings that point a node at the heartbeat bucket, and say which region it reports. */
export function heartbeatSettings(bucket: HeartbeatBucket, region: string): GatewaySettings {
  return { heartbeatBucket: bucket.bucketName, heartbeatRegion: bucket.region, heartbeatPrefix: HEARTBEAT_PREFIX, region };
}

/** Lets a data plane's task role write its heartbeat: PutObject under the prefix, and the key's data-key call through S3. */
export function grantHeartbeatWrite(role: iam.IRole, bucket: HeartbeatBucket): void {
  const partition = Stack.of(role).partition;
  const account = Stack.of(role).account;
  const objects = `arn:${partition}:s3:::${bucket.bucketName}/${HEARTBEAT_PREFIX}/*`;
  const keys = `arn:${partition}:kms:${bucket.region}:${account}:key/*`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [keys],
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [bucket.keyAlias] }, StringEquals: { 'kms:ViaService': `s3.${bucket.region}.amazonaws.com` } },
    }),
  );
  if (role instanceof Construct)
    Validations.of(role).acknowledge(
      { id: `AwsSolutions-IAM5[Resource::${nagArn(objects)}]`, reason: 'Each data plane writes one heartbeat object, named by its node id, under the heartbeat prefix only.' },
      { id: `AwsSolutions-IAM5[Resource::${nagArn(keys)}]`, reason: "The primary bucket's key is named by alias (no cross-region reference); kms:ResourceAliases and kms:ViaService narrow the wildcard to it, used through S3." },
    );
}

/**
 * Heartbeats are overwritten every few seconds in a versioned bucket: old versions of them expire
 * after a day, and a stopped node's object after a week (the control plane forgets it much sooner).
 */
export function addHeartbeatLifecycle(bucket: s3.Bucket): void {
  bucket.addLifecycleRule({ id: 'expire-heartbeats', prefix: `${HEARTBEAT_PREFIX}/`, noncurrentVersionExpiration: Duration.days(1), expiration: Duration.days(7) });
}

function nagArn(arn: string): string {
  return arn.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/g, '<AWS::Partition>').replace(/\$\{Token\[AWS\.AccountId\.\d+\]\}/g, '<AWS::AccountId>');
}
