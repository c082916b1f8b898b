import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { CONFIG_DATABASE_DEFAULTS, ENHANCED_MONITORING_INTERVAL_SECONDS, POSTGRES_LOG_EXPORTS, POSTGRES_PORT } from './config-database';

/** Properties of a {@link ConfigReadReplica}. */
export interface ConfigReadReplicaProps {
  /** The VPC; the replica goes into its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * ARN of the primary instance in another region, as a plain string (e.g. from `databaseArn()`):
   * a CloudFormation reference cannot cross regions (aws-cdk issue 12838).
   */
  readonly sourceDatabaseArn: string;
  /** Identifier of the replica. */
  readonly instanceIdentifier: string;
  /**
   * Instance class.
   *
   * @default 'db.t4g.medium'
   */
  readonly instanceClass?: string;
  /**
   * Run the replica Multi-AZ too (a regional failover target that survives a zone loss).
   *
   * @default false
   */
  readonly multiAz?: boolean;
  /**
   * Storage autoscaling ceiling (GiB): match the primary's, or the replica's disk fills while the
   * primary's grows.
   *
   * @default - no storage autoscaling
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * Refuse deletion.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the replica when the stack is deleted (replicas cannot be snapshotted on delete).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A cross-region read replica of the config database for a secondary region's data planes, built
 * on the L1 `CfnDBInstance` because CDK has no L2 for it. Encrypted with a key of this region, in
 * the isolated subnets; promote it in a region loss (runbook in docs/DEPLOY.md).
 */
export class ConfigReadReplica extends Construct {
  /** The replica. */
  readonly instance: rds.CfnDBInstance;
  /** Its security group (no ingress until `allowFrom`). */
  readonly securityGroup: ec2.SecurityGroup;
  /** The key that encrypts it. */
  readonly key: kms.Key;
  /** Its endpoint address. */
  readonly endpointAddress: string;

  constructor(scope: Construct, id: string, props: ConfigReadReplicaProps) {
    super(scope, id);
    if (!/^arn:[a-z-]+:rds:[a-z0-9-]+:\d{12}:db:[a-z][a-z0-9-]*$/.test(props.sourceDatabaseArn))
      throw new Error(
        `ConfigReadReplica: sourceDatabaseArn must be a plain RDS instance ARN (arn:aws:rds:<region>:<account>:db:<id>), got "${props.sourceDatabaseArn}".`,
      );
    if (props.deletionProtection && props.removalPolicy === RemovalPolicy.DESTROY)
      throw new Error('ConfigReadReplica: deletionProtection cannot be combined with RemovalPolicy.DESTROY; choose one.');
    const sourceRegion = props.sourceDatabaseArn.split(':')[3];

    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'Gatehouse config database read replica', removalPolicy: RemovalPolicy.RETAIN });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Gatehouse config database read replica',
      allowAllOutbound: false,
    });
    const subnets = new rds.CfnDBSubnetGroup(this, 'Subnets', {
      dbSubnetGroupDescription: 'Gatehouse config database read replica',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
    });
    const monitoring = new iam.Role(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
    });
    Validations.of(monitoring).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      reason: 'The AWS managed enhanced monitoring policy only lets RDS write OS metrics to CloudWatch Logs.',
    });
    this.instance = new rds.CfnDBInstance(this, 'Instance', {
      dbInstanceIdentifier: props.instanceIdentifier,
      sourceDbInstanceIdentifier: props.sourceDatabaseArn,
      sourceRegion,
      dbInstanceClass: props.instanceClass ?? CONFIG_DATABASE_DEFAULTS.instanceClass,
      dbSubnetGroupName: subnets.ref,
      vpcSecurityGroups: [this.securityGroup.securityGroupId],
      kmsKeyId: this.key.keyArn,
      multiAz: props.multiAz ?? false,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      publiclyAccessible: false,
      enablePerformanceInsights: true,
      performanceInsightsKmsKeyId: this.key.keyArn,
      enableCloudwatchLogsExports: POSTGRES_LOG_EXPORTS,
      monitoringInterval: ENHANCED_MONITORING_INTERVAL_SECONDS,
      monitoringRoleArn: monitoring.roleArn,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? false,
      port: String(POSTGRES_PORT),
      tags: [{ key: 'gatehouse:replica-of', value: props.sourceDatabaseArn }],
    });
    this.instance.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.DESTROY);
    this.endpointAddress = this.instance.attrEndpointAddress;

    Validations.of(this.instance).acknowledge(
      { id: 'AwsSolutions-RDS2', reason: 'A read replica inherits storage encryption from its encrypted source; KmsKeyId names this region\'s key.' },
      { id: 'AwsSolutions-RDS13', reason: 'A read replica has no automated backups of its own; the primary\'s backups cover the data.' },
      { id: 'AwsSolutions-RDS11', reason: `A read replica names no engine (it inherits the source's), which the rule reads as a default port; its port is set to ${POSTGRES_PORT}, not 5432.` },
    );
    if (!(props.multiAz ?? false))
      Validations.of(this.instance).acknowledge({ id: 'AwsSolutions-RDS3', reason: 'Single-AZ replica by default (cost); set multiAz for a failover target that survives a zone loss.' });
    if (!props.deletionProtection)
      Validations.of(this.instance).acknowledge({ id: 'AwsSolutions-RDS10', reason: 'The dev profile leaves deletion protection off so the stack can be torn down; the prod profile turns it on.' });
  }

  /** Opens the database port to a peer. */
  allowFrom(peer: ec2.IConnectable, description = 'Gatehouse tasks'): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(POSTGRES_PORT), description);
  }
}
