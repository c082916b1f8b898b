import { Fn, Names, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DEFAULT_KEY_PREFIX } from '../../../gateway/src/plugins/rate-limit/factory';

/** Redis port; not the default 6379, so a scan for open Redis finds nothing here. */
export const REDIS_PORT = 6380;

/**
 * What the gateway's Redis user may do: its own keys (the default `redisKeyPrefix`) and the commands
 * the rate-limit store sends (GET/SET/TIME in the GCRA script, EVALSHA/EVAL to run it, the connection's
 * own HELLO/AUTH/PING/INFO/CLIENT). Redis ACL syntax (ElastiCache user guide, "Role-Based Access
 * Control"); test/infra/contract/redis-rbac.test.ts runs the store against redis-server with it.
 */
export const GATEWAY_REDIS_ACCESS_STRING = `on ~${DEFAULT_KEY_PREFIX}* -@all +@read +@write +@scripting +@connection +info +time -flushall -flushdb -keys -scan`;

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
 * automatic failover and at least one replica, TLS in transit, encryption at rest, RBAC (a gateway
 * user limited to its keys and commands, its password generated in Secrets Manager), daily snapshots, and a security group that admits only what is
 * passed to `allowFrom`. `urlSecret` holds the complete `rediss://` URL for REDIS_URL.
 */
export class RateLimitCache extends Construct {
  /** The replication group. */
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The cache's security group (no ingress until `allowFrom`). */
  readonly securityGroup: ec2.SecurityGroup;
  /** The gateway user's password. */
  readonly password: secretsmanager.Secret;
  /** The gateway's Redis user name. */
  readonly userName: string;
  /** `rediss://<user>:<password>@<primary endpoint>:<port>`, for the REDIS_URL setting. */
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
    // RBAC (users and a user group) instead of one AUTH token (Control Tower CT.ELASTICACHE.PR.3): the
    // gateway's user reaches only its keys and commands; the mandatory "default" user is switched off.
    // ElastiCache user and group ids: a letter first, letters, digits and single hyphens, unique per account and region.
    const userPrefix = Names.uniqueResourceName(this, { maxLength: 30, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-');
    this.userName = `${userPrefix}-gateway`;
    this.password = new secretsmanager.Secret(this, 'Password', {
      description: 'Gatehouse rate-limit cache: the gateway user\'s password',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    const gatewayUser = new elasticache.CfnUser(this, 'GatewayUser', {
      engine: 'redis',
      userId: this.userName,
      userName: this.userName,
      accessString: GATEWAY_REDIS_ACCESS_STRING,
      authenticationMode: { Type: 'password', Passwords: [this.password.secretValue.unsafeUnwrap()] },
    });
    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: 'redis',
      userId: `${userPrefix}-default`,
      userName: 'default',
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const users = new elasticache.CfnUserGroup(this, 'Users', { engine: 'redis', userGroupId: `${userPrefix}-users`, userIds: [defaultUser.userId, gatewayUser.userId] });
    users.addDependency(defaultUser);
    users.addDependency(gatewayUser);
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
      userGroupIds: [users.ref],
      snapshotRetentionLimit: props.snapshotRetentionDays ?? RATE_LIMIT_CACHE_DEFAULTS.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    Validations.of(this.replicationGroup).acknowledge({
      id: 'AwsSolutions-AEC6',
      reason: 'Clients authenticate through RBAC (the user group), which supersedes the single AUTH token this rule looks for.',
    });
    this.replicationGroup.applyRemovalPolicy(removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY);

    // The URL is assembled by CloudFormation from a dynamic reference, so the password never appears
    // in the template or in the task definition.
    this.urlSecret = new secretsmanager.Secret(this, 'Url', {
      description: 'Gatehouse REDIS_URL (rediss:// with the gateway user)',
      secretStringValue: SecretValue.unsafePlainText(
        Fn.join('', [
          `rediss://${this.userName}:`,
          this.password.secretValue.unsafeUnwrap(),
          '@',
          this.replicationGroup.attrPrimaryEndPointAddress,
          ':',
          this.replicationGroup.attrPrimaryEndPointPort,
        ]),
      ),
      removalPolicy,
    });
    for (const secret of [this.password, this.urlSecret])
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'An ElastiCache user keeps two passwords at once (ModifyUser), so rotation is a planned step with a task restart (docs/DEPLOY.md), not Secrets Manager rotation.',
      });
  }

  /** Opens the cache port to a peer (the gateway tasks' security group). */
  allowFrom(peer: ec2.IConnectable, description = 'Gatehouse tasks'): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(REDIS_PORT), description);
  }
}
