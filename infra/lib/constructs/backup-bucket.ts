import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { sendEventsToEventBridge } from './bucket-events';
import { DEFAULT_BACKUP_PREFIX } from './config-deployer';

/**
 * What a secondary region reads from its replica (the gateway's S3 backup keys, `sync/s3.ts`):
 * `<prefix>/versions/<n>.json` and `<prefix>/latest`. Heartbeats and the deploy channel stay in the
 * primary's bucket, where the control plane reads them.
 */
export const REPLICATED_BACKUP_PREFIXES: readonly string[] = [`${DEFAULT_BACKUP_PREFIX}/versions/`, `${DEFAULT_BACKUP_PREFIX}/latest`];

/** A bucket in another region that receives replicas, named without any CloudFormation reference. */
export interface BackupReplicaDestination {
  /** The destination's region. */
  readonly region: string;
  /** The destination bucket's name (deterministic, e.g. from `backupBucketName()`). */
  readonly bucketName: string;
  /** Alias of the KMS key encrypting the destination bucket, e.g. `alias/gatehouse-backup`. */
  readonly keyAlias: string;
}

/** Properties of a {@link BackupBucket}. */
export interface BackupBucketProps {
  /** The bucket name, fixed so other regions can name it. */
  readonly bucketName: string;
  /** Alias for the bucket's KMS key, fixed so other regions can name it. */
  readonly keyAlias: string;
  /**
   * Buckets (in other regions) the config backup is replicated to.
   *
   * @default - no replication
   */
  readonly replicateTo?: readonly BackupReplicaDestination[];
  /**
   * Key prefixes replicated to each destination (one rule each).
   *
   * @default REPLICATED_BACKUP_PREFIXES
   */
  readonly replicatedPrefixes?: readonly string[];
  /**
   * How long superseded object versions are kept.
   *
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * What happens to the bucket and key when the stack is deleted (a non-empty bucket is never deleted).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The config backup bucket of a region: versioned, encrypted with a customer-managed KMS key, public
 * access blocked, TLS enforced, old versions expired; optionally replicated to buckets in other
 * regions. Replication names its destinations by bucket name and key alias only, so a region's
 * stack never references another region's.
 */
export class BackupBucket extends Construct {
  /** The bucket. */
  readonly bucket: s3.Bucket;
  /** Its KMS key. */
  readonly key: kms.Key;
  /** The replication role, when replication is configured. */
  readonly replicationRole?: iam.Role;
  private readonly bucketName: string;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const destinations = props.replicateTo ?? [];
    for (const d of destinations)
      if (d.region === stack.region)
        throw new Error(`BackupBucket: replicateTo names ${d.bucketName} in ${d.region}, the bucket's own region; replicate to other regions only.`);
    if (new Set(destinations.map((d) => d.region)).size !== destinations.length)
      throw new Error('BackupBucket: replicateTo lists a region twice; give one destination per region.');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucketName = props.bucketName;

    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Gatehouse config backups', removalPolicy });
    this.key.addAlias(props.keyAlias);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [
        { id: 'expire-old-versions', noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    sendEventsToEventBridge(this.bucket);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Backups are written only by the control plane role; CloudTrail data events are the audit trail, without a second log bucket per region.',
    });

    const prefixes = props.replicatedPrefixes ?? REPLICATED_BACKUP_PREFIXES;
    if (prefixes.length === 0 || prefixes.some((p) => p === ''))
      throw new Error('BackupBucket: replicatedPrefixes must name at least one non-empty prefix (an empty one would replicate every object, heartbeats too).');
    if (destinations.length > 0) this.replicationRole = this.replicate(destinations, prefixes);
  }

  /** Lets a role read backups (objects of any version, listing, decrypting). */
  grantBackupRead(grantee: iam.IGrantable): void {
    this.grantObjects(grantee, ['s3:GetObject', 's3:GetObjectVersion'], ['kms:Decrypt'], 'read');
  }

  /** Lets a role read and write backups (no deletes: old versions expire by lifecycle). */
  grantBackupReadWrite(grantee: iam.IGrantable): void {
    this.grantObjects(grantee, ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], ['kms:Decrypt', 'kms:GenerateDataKey'], 'read and write');
  }

  private objectsArn(bucketName: string): string {
    return `arn:${Stack.of(this).partition}:s3:::${bucketName}/*`;
  }

  private grantObjects(grantee: iam.IGrantable, objectActions: string[], keyActions: string[], what: string): void {
    iam.Grant.addToPrincipal({ grantee, actions: objectActions, resourceArns: [this.objectsArn(this.bucketName)] });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [this.key.keyArn] });
    const principal = grantee.grantPrincipal;
    if (principal instanceof Construct)
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(this.objectsArn(this.bucketName))}]`,
        reason: `The gateway may ${what} any backup object in its region's backup bucket; objects are config versions named by number.`,
      });
  }

  private replicate(destinations: readonly BackupReplicaDestination[], prefixes: readonly string[]): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ReplicationRole', { assumedBy: new iam.ServicePrincipal('s3.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [this.bucket.bucketArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        resources: [this.objectsArn(this.bucketName)],
      }),
    );
    this.key.grantDecrypt(role);
    const destinationArns = destinations.map((d) => `arn:${stack.partition}:s3:::${d.bucketName}`);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: destinationArns.map((arn) => `${arn}/*`),
      }),
    );
    // Destination keys are named by alias: their ARNs are unknown here and must not be referenced.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: destinations.map((d) => `arn:${stack.partition}:kms:${d.region}:${stack.account}:key/*`),
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [...new Set(destinations.map((d) => d.keyAlias))] },
          StringLike: { 'kms:ViaService': destinations.map((d) => `s3.${d.region}.amazonaws.com`) },
        },
      }),
    );
    const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
    cfn.replicationConfiguration = {
      role: role.roleArn,
      // One rule per destination and prefix; each rule needs a priority of its own.
      rules: destinations.flatMap((d, i) =>
        prefixes.map((prefix, j) => ({
          id: `to-${d.region}-${j + 1}`,
          priority: i * prefixes.length + j + 1,
          status: 'Enabled',
          filter: { prefix },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: destinationArns[i],
            encryptionConfiguration: { replicaKmsKeyId: `arn:${stack.partition}:kms:${d.region}:${stack.account}:${d.keyAlias}` },
          },
        })),
      ),
    };
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(this.objectsArn(this.bucketName))}]`,
        reason: 'Replication reads every object version of this bucket.',
      },
      ...destinations.map((d, i) => ({
        id: `AwsSolutions-IAM5[Resource::${nagArn(`${destinationArns[i]}/*`)}]`,
        reason: `Replication writes every object into the ${d.region} replica bucket.`,
      })),
      ...destinations.map((d) => ({
        id: `AwsSolutions-IAM5[Resource::${nagArn(`arn:${stack.partition}:kms:${d.region}:${stack.account}:key/*`)}]`,
        reason: `The ${d.region} replica key is named by alias (no cross-region reference); the kms:ResourceAliases and kms:ViaService conditions narrow the wildcard to it.`,
      })),
    );
    return role;
  }
}

/** An ARN as cdk-nag prints it in finding ids (pseudo parameters as `<AWS::Name>`). */
function nagArn(arn: string): string {
  return arn.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/g, '<AWS::Partition>');
}
