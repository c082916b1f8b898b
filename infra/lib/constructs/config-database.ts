import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** PostgreSQL port; not the default 5432 (Control Tower CT.RDS.PR.23), so a scan for open Postgres finds nothing here. */
export const POSTGRES_PORT = 5433;
/** Every log type RDS for PostgreSQL can export (Control Tower CT.RDS.PR.3 wants them all). */
export const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'];
/** Enhanced monitoring granularity (OS metrics; Control Tower CT.RDS.PR.1). */
export const ENHANCED_MONITORING_INTERVAL_SECONDS = 60;
/** The database the gateway's config store lives in. */
export const CONFIG_DATABASE_NAME = 'gatehouse';
/** The data planes' read-only role, which the control plane creates and keeps (gateway/src/store/reader-role.ts). */
export const READER_ROLE_NAME = 'gatehouse_reader';
/** Characters kept out of generated passwords so they can sit in a URL and in PGPASSWORD unquoted. */
const URL_UNSAFE = ' %+~`#$&*()|[]{}:;<>?!\'"/@\\^=,';

/** The database's sizes when a prop is left out (the read replica shares the class); the `dev` profile is exactly these. */
export const CONFIG_DATABASE_DEFAULTS = { instanceClass: 'db.t4g.medium', allocatedStorageGiB: 20, backupRetentionDays: 7 } as const;

/** Properties of a {@link ConfigDatabase}. */
export interface ConfigDatabaseProps {
  /** The VPC; the database goes into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** The DB instance identifier, fixed so that read replicas in other regions can name it. */
  readonly instanceIdentifier: string;
  /** The Secrets Manager name of the generated credentials, fixed for the same reason. */
  readonly secretName: string;
  /** The Secrets Manager name of the data planes' read-only credentials (`username`, `password`), fixed for the same reason. */
  readonly readerSecretName: string;
  /**
   * Regions both credentials secrets are replicated to (where read replicas run).
   *
   * @default - none
   */
  readonly secretReplicaRegions?: readonly string[];
  /**
   * Instance class, e.g. `db.t4g.medium`.
   *
   * @default 'db.t4g.medium'
   */
  readonly instanceClass?: string;
  /**
   * Storage in GiB (grows automatically to 4× this).
   *
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Days of automated backups (point-in-time recovery window).
   *
   * @default 7
   */
  readonly backupRetentionDays?: number;
  /**
   * Refuse deletion (set in the `prod` profile).
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the instance when the stack is deleted; the credentials secret is retained
   * unless this is `RemovalPolicy.DESTROY`.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** How far storage autoscaling may grow a config database (primary and replicas) beyond its allocation. */
export const STORAGE_AUTOSCALING_FACTOR = 4;

/** The storage autoscaling ceiling for an allocation: the primary's, which its replicas match. */
export function maxAllocatedStorageGiB(allocatedStorageGiB: number): number {
  return allocatedStorageGiB * STORAGE_AUTOSCALING_FACTOR;
}

/**
 * The config store primary: RDS PostgreSQL, Multi-AZ, encrypted, credentials generated into
 * Secrets Manager (replicated to the secondary regions), automated backups, Performance Insights,
 * logs exported to CloudWatch, deletion protection when asked. Only what is passed to `allowFrom`
 * may connect.
 */
export class ConfigDatabase extends Construct {
  /** The instance. */
  readonly instance: rds.DatabaseInstance;
  /** The storage key (kept when the stack is deleted: snapshots need it). */
  readonly key: kms.Key;
  /** The generated credentials (`username`, `password`, `host`, `port`, `dbname`). */
  readonly secret: secretsmanager.ISecret;
  /** The data planes' read-only credentials (`username`, `password`); the control plane sets the role's password from it. */
  readonly readerSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ConfigDatabaseProps) {
    super(scope, id);
    const d = CONFIG_DATABASE_DEFAULTS;
    const retention = props.backupRetentionDays ?? d.backupRetentionDays;
    if (!Number.isInteger(retention) || retention < 1 || retention > 35)
      throw new Error(`ConfigDatabase: backupRetentionDays must be 1 to 35 (read replicas need automated backups), got ${retention}.`);
    if (props.deletionProtection && props.removalPolicy === RemovalPolicy.DESTROY)
      throw new Error('ConfigDatabase: deletionProtection cannot be combined with RemovalPolicy.DESTROY; choose one.');
    const [, family, size] = (props.instanceClass ?? d.instanceClass).split('.');

    // A customer managed key, so key use is in CloudTrail and its policy is ours (Control Tower CT.RDS.PR.16).
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Gatehouse config database', removalPolicy: RemovalPolicy.RETAIN });
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceIdentifier: props.instanceIdentifier,
      instanceType: new ec2.InstanceType(`${family}.${size}`),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      port: POSTGRES_PORT,
      databaseName: CONFIG_DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('gatehouse', {
        secretName: props.secretName,
        excludeCharacters: URL_UNSAFE,
        replicaRegions: (props.secretReplicaRegions ?? []).map((region) => ({ region })),
      }),
      multiAz: true,
      storageEncrypted: true,
      storageEncryptionKey: this.key,
      monitoringInterval: Duration.seconds(ENHANCED_MONITORING_INTERVAL_SECONDS),
      allocatedStorage: props.allocatedStorageGiB ?? d.allocatedStorageGiB,
      maxAllocatedStorage: maxAllocatedStorageGiB(props.allocatedStorageGiB ?? d.allocatedStorageGiB),
      storageType: rds.StorageType.GP3,
      backupRetention: Duration.days(retention),
      deleteAutomatedBackups: false,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.key,
      cloudwatchLogsExports: POSTGRES_LOG_EXPORTS,
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      publiclyAccessible: false,
    });
    this.secret = this.instance.secret!;
    // The credentials live as long as the data: a kept snapshot is restored with the same user and password.
    // (`instance.secret` is the target attachment; the generated secret is the instance's child `Secret`.)
    const keepsData = (props.removalPolicy ?? RemovalPolicy.SNAPSHOT) !== RemovalPolicy.DESTROY;
    const secretRemoval = keepsData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    (this.instance.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(secretRemoval);
    // The reader's role lives in the database too: its secret is kept and replicated like the owner's.
    const reader = new secretsmanager.Secret(this, 'ReaderSecret', {
      secretName: props.readerSecretName,
      description: 'Gatehouse config database: the data planes\' read-only role',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: READER_ROLE_NAME }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludeCharacters: URL_UNSAFE,
      },
      replicaRegions: (props.secretReplicaRegions ?? []).map((region) => ({ region })),
      removalPolicy: secretRemoval,
    });
    this.readerSecret = reader;
    Validations.of(reader).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The control plane sets the reader role\'s password from this secret at start; rotating it is a planned step (docs/RUNBOOK.md, "Rotating the reader password"), not on a schedule.',
    });

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS managed enhanced monitoring policy only lets RDS write OS metrics to CloudWatch Logs.',
    });
    if (!props.deletionProtection)
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'The dev profile leaves deletion protection off so the stack can be torn down; the prod profile turns it on.',
      });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Tasks read the credentials at start; rotating them needs a restart of every task, done as a planned step (docs/DEPLOY.md), not on a schedule.',
    });
  }

  /** Opens the database port to a peer. */
  allowFrom(peer: ec2.IConnectable, description = 'Gatehouse tasks'): void {
    this.instance.connections.allowFrom(peer, ec2.Port.tcp(POSTGRES_PORT), description);
  }
}
