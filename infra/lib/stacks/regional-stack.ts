import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from '../config';
import {
  AdminAccess,
  AlarmTopic,
  AdminToken,
  CONFIG_DATABASE_NAME,
  ConfigDatabase,
  ConfigReadReplica,
  ConfigDeployer,
  ControlPlaneService,
  ControlTowerBaseline,
  GatewayRelease,
  GatewayService,
  GlobalRouting,
  NetworkFoundation,
  POSTGRES_PORT,
  PublicLoadBalancer,
  PublicWebAcl,
  RateLimitCache,
  RegionAlarms,
  RegionDashboard,
  ReleasedImage,
  ReplicatedSecret,
  SecretsKey,
  maxAllocatedStorageGiB,
  type BackupBucket,
  CONTROL_PLANE_EMF,
  DATA_PLANE_EMF,
  GatewayAlarms,
  gatewayWidgets,
  grantHeartbeatWrite,
  heartbeatSettings,
  TelemetryCollector,
  gatewayMetricsNamespace,
  type GatewaySecretSettings,
  type GatewaySettings,
} from '../constructs';
import { RDS_CA_BUNDLE } from '../../../gateway/src/store/tls';
import { addReleaseContractOutputs } from './release-contract';
import { backupBucketName, backupKeyAlias, databaseArn, databaseIdentifier, databaseReaderSecretName, databaseSecretName, imageParameterName, replicaIdentifier, secretsKeyName } from '../names';

/** Properties of a {@link RegionalStack}. */
export interface RegionalStackProps extends StackProps {
  /** The resolved deployment config. */
  readonly config: DeploymentConfig;
  /** The region's backup bucket (from its base stack, same region). */
  readonly backup: BackupBucket;
  /**
   * The initial gateway config (JSON text) the primary's control plane imports on a fresh deployment.
   *
   * @default - none: the first config must be written through the admin API
   */
  readonly initialConfig?: string;
}

/** Log retention by profile, as the CDK enum. */
function retentionDays(days: number): logs.RetentionDays {
  return days >= 365 ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;
}

/**
 * One region of Gatehouse: network, public load balancer, the data plane with blue/green releases,
 * the rate-limit cache, and the config database (primary region: the Multi-AZ primary and the
 * control plane; other regions: a cross-region read replica). Emits the outputs of the infra
 * contract that the release command reads.
 */
export class RegionalStack extends Stack {
  /** The VPC and its endpoints. */
  readonly network: NetworkFoundation;
  /** The public load balancer, its listeners and target groups. */
  readonly edge: PublicLoadBalancer;
  /** The data plane service. */
  readonly gateway: GatewayService;
  /** The release machinery: blue/green deployment, smoke test, rollout. */
  readonly release: GatewayRelease;
  /** The rate-limit cache. */
  readonly cache: RateLimitCache;
  /** The config database primary (primary region only). */
  readonly database?: ConfigDatabase;
  /** The cross-region read replica (secondary regions only). */
  readonly replica?: ConfigReadReplica;
  /** The control plane (primary region only). */
  readonly controlPlane?: ControlPlaneService;
  private readonly zones: readonly string[];

  /** The configured zones: synth never looks them up. */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const zones = props.config.availabilityZones[this.region];
    if (!zones)
      throw new Error(
        `RegionalStack: env.region must be one of the deployed regions (${Object.keys(props.config.availabilityZones).join(', ')}), got "${this.region}".`,
      );
    this.zones = zones;
    const { config, backup } = props;
    const region = this.region;
    const prefix = config.stackPrefix;
    const isPrimary = region === config.primaryRegion;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retentionDays(config.logRetentionDays);
    const drain = Duration.seconds(config.drainTimeoutSeconds);

    const network = (this.network = new NetworkFoundation(this, 'Network', {
      availabilityZones: config.availabilityZones[region],
      natGateways: config.natGateways,
      flowLogRetention: logRetention,
      removalPolicy,
    }));
    const vpc = network.vpc;
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const edge = (this.edge = new PublicLoadBalancer(this, 'LoadBalancer', {
      vpc,
      certificateArn: config.certificateArns[region],
      protocolVersion: config.targetProtocolVersion,
      testListenerPort: config.testListenerPort,
      testTrafficSources: network.natPublicIps.map((ip) => ec2.Peer.ipv4(Fn.join('', [ip, '/32']))),
      deregistrationDelay: drain,
      deletionProtection: config.deletionProtection,
      removalPolicy,
    }));
    if (config.waf) new PublicWebAcl(this, 'WebAcl', { loadBalancer: edge.loadBalancer, metricPrefix: `${prefix}-${region}` });
    const cache = (this.cache = new RateLimitCache(this, 'RateLimitCache', {
      vpc,
      nodeType: config.redis.nodeType,
      replicas: config.redis.replicas,
      snapshotRetentionDays: config.redis.snapshotRetentionDays,
      removalPolicy,
    }));

    // Primary: the Multi-AZ primary. Elsewhere: a replica named by a plain ARN (no cross-region reference).
    let databaseHost: string;
    // Data planes read with the reader's credentials; only the control plane (primary) has the owner's.
    let readerCredentials: secretsmanager.ISecret;
    let database: ConfigDatabase | undefined;
    let replica: ConfigReadReplica | undefined;
    if (isPrimary) {
      database = this.database = new ConfigDatabase(this, 'ConfigDatabase', {
        vpc,
        instanceIdentifier: databaseIdentifier(prefix),
        secretName: databaseSecretName(prefix),
        readerSecretName: databaseReaderSecretName(prefix),
        secretReplicaRegions: config.secondaryRegions,
        instanceClass: config.database.instanceClass,
        allocatedStorageGiB: config.database.allocatedStorageGiB,
        backupRetentionDays: config.database.backupRetentionDays,
        deletionProtection: config.deletionProtection,
        removalPolicy: config.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      });
      databaseHost = database.instance.dbInstanceEndpointAddress;
      readerCredentials = database.readerSecret;
    } else {
      replica = this.replica = new ConfigReadReplica(this, 'ConfigReadReplica', {
        vpc,
        sourceDatabaseArn: databaseArn(config.account, config.primaryRegion, databaseIdentifier(prefix)),
        instanceIdentifier: replicaIdentifier(prefix, region),
        instanceClass: config.database.instanceClass,
        multiAz: config.profile === 'prod',
        maxAllocatedStorageGiB: maxAllocatedStorageGiB(config.database.allocatedStorageGiB),
        deletionProtection: config.deletionProtection,
        removalPolicy: config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      databaseHost = replica.endpointAddress;
      // The primary's reader secret is replicated here under the same name; ECS needs its complete ARN.
      readerCredentials = new ReplicatedSecret(this, 'DatabaseReaderCredentials', { secretName: databaseReaderSecretName(prefix) }).secret;
    }
    // The key that seals inline secrets of config versions: one key for every region (replicated), so a
    // secondary's data planes decrypt what the primary's control plane sealed.
    const secretsKey = isPrimary
      ? new SecretsKey(this, 'SecretsKey', { secretName: secretsKeyName(prefix), replicaRegions: config.secondaryRegions }).secret
      : new ReplicatedSecret(this, 'SecretsKeyReplica', { secretName: secretsKeyName(prefix) }).secret;
    // Fleet view: every node reports to the primary region's backup bucket (docs/RUNBOOK.md, "The fleet view").
    const heartbeats = { bucketName: backupBucketName(prefix, config.account, config.primaryRegion), region: config.primaryRegion, keyAlias: backupKeyAlias(prefix) };
    // What both roles read: the config store and the S3 backup of this region.
    const storeSettings: GatewaySettings = {
      // verify-full against the RDS CA bundle shipped in the image: the chain and the endpoint's name.
      databaseUrl: `postgresql://${databaseHost}:${POSTGRES_PORT}/${CONFIG_DATABASE_NAME}?sslmode=verify-full`,
      databaseCa: RDS_CA_BUNDLE,
      s3Bucket: backupBucketName(prefix, config.account, region),
      s3Region: region,
      ...heartbeatSettings(heartbeats, region),
    };
    const secretsKeys = ecs.Secret.fromSecretsManager(secretsKey);
    const readerSecrets: GatewaySecretSettings = {
      databaseUser: ecs.Secret.fromSecretsManager(readerCredentials, 'username'),
      databasePassword: ecs.Secret.fromSecretsManager(readerCredentials, 'password'),
      secretsKeys,
    };

    const image = ReleasedImage.atDeployTime(this, imageParameterName(prefix));
    const gateway = (this.gateway = new GatewayService(this, 'Gateway', {
      cluster,
      image,
      loadBalancer: edge.loadBalancer,
      loadBalancerSecurityGroup: edge.securityGroup,
      blueTargetGroup: edge.blueTargetGroup,
      cpu: config.task.cpu,
      memoryMiB: config.task.memoryMiB,
      minTasks: config.task.minTasks,
      maxTasks: config.task.maxTasks,
      targetCpuPercent: config.task.targetCpuPercent,
      requestsPerTask: config.task.requestsPerTask,
      drainTimeout: drain,
      settings: {
        ...storeSettings,
        logLevel: 'info',
        // While Redis is unreachable each task allows limit ÷ this; the autoscaler's floor is the safe divisor.
        rateLimitNodeCount: config.task.minTasks,
        // A fresh deployment has no config version yet: start unready and poll instead of crash-looping.
        startWithoutConfig: true,
        // Only the ALB (inside the VPC) may tell the gateway the original scheme and host.
        trustedProxies: vpc.vpcCidrBlock,
        // A read replica refuses LISTEN (hot standby): secondary regions rely on the poll alone.
        configPush: isPrimary,
        // Traces go to the collector sidecar (its default endpoint), sampled at 5 % unless the caller decided.
        tracing: true,
        tracingSampleRatio: 0.05,
      },
      secrets: { ...readerSecrets, redisUrl: ecs.Secret.fromSecretsManager(cache.urlSecret) },
      logRetention,
      removalPolicy,
    }));
    cache.allowFrom(gateway.securityGroup);
    database?.allowFrom(gateway.securityGroup);
    replica?.allowFrom(gateway.securityGroup);
    backup.grantBackupRead(gateway.taskDefinition.taskRole);
    grantHeartbeatWrite(gateway.taskDefinition.taskRole, heartbeats);
    const telemetry = { prefix, logRetention, removalPolicy };
    new TelemetryCollector(this, 'DataPlaneTelemetry', { ...telemetry, taskDefinition: gateway.taskDefinition, metrics: DATA_PLANE_EMF, traces: true });

    const release = (this.release = new GatewayRelease(this, 'Release', {
      edge,
      gateway,
      imageParameterName: imageParameterName(prefix),
      trafficShifting: config.trafficShifting,
      canaryPath: config.canaryPath,
      applicationName: `${prefix}-gateway`,
    }));

    if (database) {
      const adminToken = new AdminToken(this, 'AdminToken', { secretName: `${prefix}/admin-token`, removalPolicy });
      const controlPlane = (this.controlPlane = new ControlPlaneService(this, 'ControlPlane', {
        cluster,
        image,
        adminClients: ec2.Peer.ipv4(vpc.vpcCidrBlock),
        accessLogsBucket: edge.accessLogsBucket,
        certificateArn: config.adminCertificateArn,
        settings: storeSettings,
        initialConfig: props.initialConfig,
        deletionProtection: config.deletionProtection,
        // The owner's credentials, and the reader's, whose role the control plane keeps at start.
        secrets: {
          databaseUser: ecs.Secret.fromSecretsManager(database.secret, 'username'),
          databasePassword: ecs.Secret.fromSecretsManager(database.secret, 'password'),
          databaseReaderUser: ecs.Secret.fromSecretsManager(database.readerSecret, 'username'),
          databaseReaderPassword: ecs.Secret.fromSecretsManager(database.readerSecret, 'password'),
          secretsKeys,
          adminTokens: adminToken.entry,
        },
        logRetention,
        removalPolicy,
      }));
      database.allowFrom(controlPlane.securityGroup);
      // The data plane's first tasks start once the control plane is steady, i.e. has migrated the store
      // and imported the initial config: they become ready within one poll, inside the grace period.
      gateway.service.node.addDependency(controlPlane.service);
      backup.grantBackupReadWrite(controlPlane.taskDefinition.taskRole);
      ConfigDeployer.grantInbox(controlPlane.taskDefinition.taskRole, backupBucketName(prefix, config.account, region));
      new TelemetryCollector(this, 'ControlPlaneTelemetry', { ...telemetry, taskDefinition: controlPlane.taskDefinition, metrics: CONTROL_PLANE_EMF });
      new AdminAccess(this, 'AdminAccess', { vpc, adminLoadBalancer: controlPlane.loadBalancer, adminPort: controlPlane.adminListenerPort });
      new CfnOutput(this, 'AdminApiUrl', {
        value: `${controlPlane.adminProtocol}://${controlPlane.loadBalancer.loadBalancerDnsName}`,
        description: 'Admin API (inside the VPC only; over HTTPS, connect by the certificate\'s name, docs/DEPLOY.md)',
      });
      new CfnOutput(this, 'AdminTokenSecret', { value: adminToken.secret.secretName, description: 'Secret whose "token" key is the first admin API token' });
    }

    if (config.domain)
      new GlobalRouting(this, 'GlobalRouting', {
        loadBalancer: edge.loadBalancer,
        hostedZoneId: config.domain.hostedZoneId,
        zoneName: config.domain.zoneName,
        recordName: config.domain.recordName,
        targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
      });

    const regionAlarms = new RegionAlarms(this, 'Alarms', {
      loadBalancer: edge.loadBalancer,
      targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
      minHealthyTasks: config.task.minTasks,
      thresholds: config.alarmThresholds,
      cacheReplicationGroupId: cache.replicationGroup.ref,
      cacheNodeCount: cache.nodeCount,
      ...(isPrimary
        ? { database: { instanceIdentifier: databaseIdentifier(prefix), allocatedStorageGiB: config.database.allocatedStorageGiB } }
        : { replicaInstanceIdentifier: replicaIdentifier(prefix, region) }),
    });
    const namespace = gatewayMetricsNamespace(prefix);
    const gatewayAlarms = new GatewayAlarms(this, 'GatewayAlarms', {
      namespace,
      targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
      controlPlane: isPrimary,
      thresholds: config.alarmThresholds,
    });
    const alarmTopic = new AlarmTopic(this, 'AlarmTopic', { emails: config.alarmEmails, removalPolicy });

    const dashboard = new RegionDashboard(this, 'Dashboard', {
      dashboardName: `${prefix}-${region}`,
      loadBalancer: edge.loadBalancer,
      service: gateway.service,
      targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
      cacheReplicationGroupId: cache.replicationGroup.ref,
      cacheNodeCount: cache.nodeCount,
      databaseInstanceIdentifier: isPrimary ? databaseIdentifier(prefix) : replicaIdentifier(prefix, region),
      alarms: [...release.blueGreen.alarms, ...regionAlarms.alarms, ...gatewayAlarms.alarms],
    });
    dashboard.dashboard.addWidgets(...gatewayWidgets(namespace, isPrimary));

    // The infra contract's outputs (OutputKey = id), read by the release command.
    addReleaseContractOutputs(this, release.contract);
    // Last, so every alarm of the region pages: the rollback, Route 53 and region alarms alike.
    alarmTopic.notifyFromEveryAlarmIn(this);
    // Then every log group, key and state machine (the kit's and aws-cdk-lib's own) meets the controls.
    new ControlTowerBaseline(this, 'Baseline', { logRetentionDays: config.logRetentionDays, removalPolicy }).applyTo(this);
  }
}
