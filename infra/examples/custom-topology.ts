/**
 * Worked examples for README "Extend the stacks": the kit's constructs composed into other
 * topologies. Type-checked with the rest of the code and synthesised by test/infra/kit/examples.test.ts.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { RDS_CA_BUNDLE } from '../../gateway/src/store/tls';
import {
  addReleaseContractOutputs,
  AdminAccess,
  AlarmTopic,
  AdminToken,
  BackupBucket,
  ControlPlaneService,
  GatewayRelease,
  GatewayService,
  NetworkFoundation,
  PublicLoadBalancer,
  PublicWebAcl,
  RateLimitCache,
  type GatewaySecretSettings,
  type GatewaySettings,
} from '../lib';

/** Properties of {@link AuroraGatewayStack}. */
export interface AuroraGatewayStackProps extends StackProps {
  /** The gateway image. */
  readonly image: ecs.ContainerImage;
  /** The released-image parameter the rollout compares against (seed it with `ReleasedImage`). */
  readonly imageParameterName: string;
  /** The three zones of the stack's region. */
  readonly availabilityZones: readonly string[];
  /** The first gateway config (JSON text), imported once by the control plane (see `initialConfigFor`). */
  readonly initialConfig: string;
  /** The config backup bucket's name (globally unique). */
  readonly backupBucketName: string;
}

/**
 * Swap the database: one region whose config store is Aurora PostgreSQL Serverless v2 instead of
 * `ConfigDatabase`; everything else is the kit's constructs, wired as `RegionalStack` wires them:
 * the control plane (with the initial config, so the data planes get a first version), the S3
 * backup, the admin access host and the outputs the release command reads.
 */
export class AuroraGatewayStack extends Stack {
  /** The public load balancer. */
  readonly edge: PublicLoadBalancer;
  private readonly zones: readonly string[];

  constructor(scope: Construct, id: string, props: AuroraGatewayStackProps) {
    super(scope, id, props);
    this.zones = props.availabilityZones;
    const network = new NetworkFoundation(this, 'Network', { availabilityZones: props.availabilityZones });
    const vpc = network.vpc;
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.edge = new PublicLoadBalancer(this, 'LoadBalancer', {
      vpc,
      testTrafficSources: network.natPublicIps.map((ip) => ec2.Peer.ipv4(`${ip}/32`)),
    });
    const cache = new RateLimitCache(this, 'RateLimitCache', { vpc });

    const aurora = new rds.DatabaseCluster(this, 'ConfigStore', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      readers: [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true })],
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 4,
      defaultDatabaseName: 'gatehouse',
      storageEncrypted: true,
      backup: { retention: Duration.days(7) },
    });

    const backup = new BackupBucket(this, 'Backup', { bucketName: props.backupBucketName, keyAlias: 'alias/gatehouse-aurora-backup' });
    const storeSettings: GatewaySettings = {
      // Aurora's certificates are signed by the RDS CAs too: verify-full against the bundle in the image.
      databaseUrl: `postgresql://${aurora.clusterEndpoint.hostname}:5432/gatehouse?sslmode=verify-full`,
      databaseCa: RDS_CA_BUNDLE,
      s3Bucket: props.backupBucketName,
      s3Region: this.region,
    };
    const credentials: GatewaySecretSettings = {
      databaseUser: ecs.Secret.fromSecretsManager(aurora.secret!, 'username'),
      databasePassword: ecs.Secret.fromSecretsManager(aurora.secret!, 'password'),
    };

    const gateway = new GatewayService(this, 'Gateway', {
      cluster,
      image: props.image,
      loadBalancer: this.edge.loadBalancer,
      loadBalancerSecurityGroup: this.edge.securityGroup,
      blueTargetGroup: this.edge.blueTargetGroup,
      // Data planes read the reader endpoint; LISTEN works there (an Aurora reader is no hot standby of ours to refuse it).
      settings: { ...storeSettings, databaseUrl: `postgresql://${aurora.clusterReadEndpoint.hostname}:5432/gatehouse?sslmode=verify-full`, startWithoutConfig: true },
      secrets: { ...credentials, redisUrl: ecs.Secret.fromSecretsManager(cache.urlSecret) },
    });
    cache.allowFrom(gateway.securityGroup);
    aurora.connections.allowDefaultPortFrom(gateway.securityGroup);
    backup.grantBackupRead(gateway.taskDefinition.taskRole);

    const adminToken = new AdminToken(this, 'AdminToken', { secretName: `${id}/admin-token` });
    const controlPlane = new ControlPlaneService(this, 'ControlPlane', {
      cluster,
      image: props.image,
      adminClients: ec2.Peer.ipv4(vpc.vpcCidrBlock),
      accessLogsBucket: this.edge.accessLogsBucket,
      initialConfig: props.initialConfig,
      settings: storeSettings,
      secrets: { ...credentials, adminTokens: adminToken.entry },
    });
    aurora.connections.allowDefaultPortFrom(controlPlane.securityGroup);
    backup.grantBackupReadWrite(controlPlane.taskDefinition.taskRole);
    gateway.service.node.addDependency(controlPlane.service);
    new AdminAccess(this, 'AdminAccess', { vpc, adminLoadBalancer: controlPlane.loadBalancer });

    const release = new GatewayRelease(this, 'Release', {
      edge: this.edge,
      gateway,
      imageParameterName: props.imageParameterName,
      trafficShifting: 'linear',
    });
    new PublicWebAcl(this, 'WebAcl', { loadBalancer: this.edge.loadBalancer, metricPrefix: id });
    addReleaseContractOutputs(this, release.contract);
    new AlarmTopic(this, 'AlarmTopic').notifyFromEveryAlarmIn(this);
  }

  /** The stack's zones come from props: no lookup at synth. */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }
}
