import { Fn, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Redis port; not the default 6379, so a scan for open Redis finds nothing here. */
export const REDIS_PORT = 6380;

/** The cache's sizes when a prop is left out; the `dev` profile is exactly these. */
export const RATE_LIMIT_CACHE_DEFAULTS = { nodeType: 'cache.t4g.small', replicas: 1, snapshotRetentionDays: 1 } as const;

/** Properties of a {@link RateLimitCache}. */
export interface RateLimitCacheProps {
  /** The VPC; the cache goes into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * Node type.
   *
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string;
  /**
   * Replicas besides the primary (at least one, for automatic failover).
   *
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Days of daily snapshots kept.
   *
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
  /**
   * What happens to the AUTH token secret when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The shared rate-limit store of a region: an ElastiCache Redis replication group, Multi-AZ with
 * automatic failover and at least one replica, TLS in transit, encryption at rest, an AUTH token
 * generated in Secrets Manager, daily snapshots, and a security group that admits only what is
 * passed to `allowFrom`. `urlSecret` holds the complete `rediss://` URL for REDIS_URL.
 */
export class RateLimitCache extends Construct {
  /** The replication group. */
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The cache's security group (no ingress until `allowFrom`). */
  readonly securityGroup: ec2.SecurityGroup;
  /** The AUTH token. */
  readonly authToken: secretsmanager.Secret;
  /** `rediss://:<token>@<primary endpoint>:<port>`, for the REDIS_URL setting. */
  readonly urlSecret: secretsmanager.Secret;
  /** Nodes in the replication group (the primary and its replicas). */
  readonly nodeCount: number;

  constructor(scope: Construct, id: string, props: RateLimitCacheProps) {
    super(scope, id);
    const replicas = props.replicas ?? RATE_LIMIT_CACHE_DEFAULTS.replicas;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
      throw new Error(`RateLimitCache: replicas must be an integer from 1 to 5 (automatic failover needs a replica), got ${replicas}.`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.nodeCount = 1 + replicas;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Gatehouse rate-limit cache',
      allowAllOutbound: false,
    });
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Gatehouse rate-limit cache',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'Gatehouse rate-limit cache AUTH token',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'Gatehouse rate-limit counters',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: props.nodeType ?? RATE_LIMIT_CACHE_DEFAULTS.nodeType,
      numCacheClusters: this.nodeCount,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: props.snapshotRetentionDays ?? RATE_LIMIT_CACHE_DEFAULTS.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup.applyRemovalPolicy(removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY);

    // The URL is assembled by CloudFormation from a dynamic reference, so the token never appears
    // in the template or in the task definition.
    this.urlSecret = new secretsmanager.Secret(this, 'Url', {
      description: 'Gatehouse REDIS_URL (rediss:// with AUTH)',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', [
          'rediss://:',
          this.authToken.secretValue.unsafeUnwrap(),
          '@',
          this.replicationGroup.attrPrimaryEndPointAddress,
          ':',
          this.replicationGroup.attrPrimaryEndPointPort,
        ]),
      ),
      removalPolicy,
    });
    for (const secret of [this.authToken, this.urlSecret])
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'ElastiCache AUTH tokens rotate through ModifyReplicationGroup (AuthTokenUpdateStrategy), not Secrets Manager rotation; see docs/DEPLOY.md.',
      });
  }

  /** Opens the cache port to a peer (the gateway tasks' security group). */
  allowFrom(peer: ec2.IConnectable, description = 'Gatehouse tasks'): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(REDIS_PORT), description);
  }
}
