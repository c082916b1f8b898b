/**
 * The config deployers' way in from outside the VPC (`gatehouse apply --via s3://…`): an IAM role
 * that may only leave deploy requests under `<prefix>/deploy/requests/` of the primary backup bucket
 * and read the control plane's answers under `<prefix>/deploy/results/`, and a bucket policy that
 * makes that role the only writer of requests (and never a writer of results). The control plane
 * polls the prefix and applies each request like an admin API write.
 */
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The gateway's default backup prefix (GATEHOUSE_S3_PREFIX), under which the deploy channel lives. */
export const DEFAULT_BACKUP_PREFIX = 'gatehouse';

/** Properties of a {@link ConfigDeployer}. */
export interface ConfigDeployerProps {
  /** The primary region's backup bucket. */
  readonly bucket: s3.IBucket;
  /** The bucket's fixed name (for ARNs that carry no CloudFormation reference). */
  readonly bucketName: string;
  /** The KMS key encrypting the bucket. */
  readonly key: kms.IKey;
  /**
   * Who may assume the role (a CI provider's OIDC principal, say).
   *
   * @default - principals of this account that IAM lets call sts:AssumeRole on it
   */
  readonly assumedBy?: iam.IPrincipal;
  /**
   * The backup prefix the control plane uses (GATEHOUSE_S3_PREFIX).
   *
   * @default DEFAULT_BACKUP_PREFIX
   */
  readonly prefix?: string;
}

const channel = (prefix: string, part: 'requests' | 'results') => `${prefix}/deploy/${part}/*`;
const nagArn = (arn: string) => arn.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/g, '<AWS::Partition>');

export class ConfigDeployer extends Construct {
  /** The role CI assumes to run `gatehouse apply --via`. */
  readonly role: iam.Role;

  /** Lets the control plane delete the requests it has answered (it already reads and writes the bucket). */
  static grantInbox(grantee: iam.IGrantable, bucketName: string, prefix = DEFAULT_BACKUP_PREFIX): void {
    const arn = `arn:${Stack.of(grantee.grantPrincipal as unknown as Construct).partition}:s3:::${bucketName}/${channel(prefix, 'requests')}`;
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:DeleteObject'], resourceArns: [arn] });
    if (grantee.grantPrincipal instanceof Construct)
      Validations.of(grantee.grantPrincipal).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagArn(arn)}]`, reason: 'The control plane deletes any deploy request once it has written its result; request names are random keys.' });
  }

  constructor(scope: Construct, id: string, props: ConfigDeployerProps) {
    super(scope, id);
    const prefix = props.prefix ?? DEFAULT_BACKUP_PREFIX;
    const partition = Stack.of(this).partition;
    const objects = (part: 'requests' | 'results') => `arn:${partition}:s3:::${props.bucketName}/${channel(prefix, part)}`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy ?? new iam.AccountRootPrincipal(),
      description: 'gatehouse apply --via s3: writes config deploy requests and reads their results',
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects('requests')] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects('results')] }));
    // The CLI lists its result's key before reading it: without s3:ListBucket a missing object answers 403, not 404
    // (S3 API Reference, GetObject, "Permissions"); the listing is limited to the results prefix.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': `${prefix}/deploy/results/*` } } }),
    );
    // SSE-KMS: writing needs a data key, reading a result needs to decrypt it.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [props.key.keyArn] }));
    for (const part of ['requests', 'results'] as const)
      Validations.of(this.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagArn(objects(part))}]`, reason: `Deploy ${part} are named by random keys under one prefix; the role reaches nothing else in the bucket.` });

    // aws:PrincipalArn is the role's ARN for any session of it (IAM User Guide, "AWS global condition context keys").
    props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyConfigDeployersWriteDeployRequests',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [props.bucket.arnForObjects(channel(prefix, 'requests'))],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.role.roleArn } },
      }),
    );
    props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ConfigDeployersNeverWriteDeployResults',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [props.bucket.arnForObjects(channel(prefix, 'results'))],
        conditions: { ArnEquals: { 'aws:PrincipalArn': this.role.roleArn } },
      }),
    );
    new CfnOutput(this, 'RoleArn', { value: this.role.roleArn, description: 'Role for `gatehouse apply --via s3://<backup bucket>/<prefix>` (CI outside the VPC)' });
  }
}
