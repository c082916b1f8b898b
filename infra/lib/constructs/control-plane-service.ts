import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { envName } from '../../../gateway/src/settings/schema';
import type { GatewaySecretSettings, GatewaySettings } from './gateway-settings';
import { addDataVolume, GATEWAY_ADMIN_PORT, GATEWAY_DATA_DIR, GATEWAY_USER, gatewayContainerOptions, grantImagePull } from './gateway-container';

/** The init container that writes the initial config onto the data volume. */
export const INITIAL_CONFIG_CONTAINER_NAME = 'initial-config';
/** The initial config's file name on the data volume. */
const INITIAL_CONFIG_FILE_NAME = 'initial-config.json';
/** Largest initial config: it travels in the task definition, which ECS limits to 64 KiB as a whole. */
export const MAX_INITIAL_CONFIG_BYTES = 32 * 1024;
/** The control plane task's memory (MiB); the init container's hard limit comes out of it. */
const TASK_MEMORY_MIB = 1024;
/** The init container only writes one file. */
const INITIAL_CONFIG_MEMORY_MIB = 128;
import { GATEWAY_STATUS_PORT } from './public-load-balancer';

/** Properties of a {@link ControlPlaneService}. */
export interface ControlPlaneServiceProps {
  /** The ECS cluster (tasks go into its VPC's private subnets). */
  readonly cluster: ecs.ICluster;
  /** The gateway image (one binary; the role is a setting). */
  readonly image: ecs.ContainerImage;
  /** Who may reach the admin API through the internal load balancer. */
  readonly adminClients: ec2.IPeer;
  /** Bucket for the internal load balancer's access logs (SSE-S3). */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Tasks (admin API instances).
   *
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * The initial config document (JSON text): imported once by the control plane when the store is
   * empty and the S3 backup has none (GATEHOUSE_INITIAL_CONFIG), so a fresh deployment gets its first
   * version, and the data planes become ready, with no one in the loop.
   *
   * @default - none: the first version must be written through the admin API
   */
  readonly initialConfig?: string;
  /**
   * Further gateway settings (see the README settings table).
   *
   * @default - none beyond role, ports and data dir
   */
  readonly settings?: GatewaySettings;
  /**
   * Settings from Secrets Manager (the store's credentials, the admin tokens).
   *
   * @default - none
   */
  readonly secrets?: GatewaySecretSettings;
  /**
   * ACM certificate (same region) for the admin listener: HTTPS on 443. Its name is what admin clients
   * connect to (docs/DEPLOY.md, "The admin listener").
   *
   * @default - no certificate: the admin listener is plain HTTP on 80 inside the VPC
   */
  readonly certificateArn?: string;
  /**
   * Refuse deletion of the internal load balancer (set in the `prod` profile).
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * How long container logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The control plane (admin API) of the primary region: a small Fargate service of its own, separate
 * from the data plane, reachable only through an internal ALB. It is deployed by ECS rolling updates
 * (no traffic shifting needed for an admin API).
 */
export class ControlPlaneService extends Construct {
  /** The service. */
  readonly service: ecs.FargateService;
  /** The task definition. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The internal load balancer in front of the admin API. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The tasks' security group. */
  readonly securityGroup: ec2.SecurityGroup;
  /** `https` with a certificate, else `http`. */
  readonly adminProtocol: 'http' | 'https';
  /** The admin listener's port: 443 with a certificate, else 80. */
  readonly adminListenerPort: number;

  /**
   * An init container (same image, same user) writes the document onto the task's data volume, where
   * the control plane reads it: the root filesystem is read-only and the image carries no config.
   */
  private addInitialConfig(props: ControlPlaneServiceProps, logGroup: logs.ILogGroup, controlPlane: ecs.ContainerDefinition): ecs.ContainerDefinition {
    const size = Buffer.byteLength(props.initialConfig as string);
    if (size > MAX_INITIAL_CONFIG_BYTES)
      throw new Error(
        `ControlPlaneService: initialConfig is ${size} bytes, more than ${MAX_INITIAL_CONFIG_BYTES} (it travels in the task definition); keep it small and write the rest through the admin API.`,
      );
    const file = `${GATEWAY_DATA_DIR}/${INITIAL_CONFIG_FILE_NAME}`;
    const init = this.taskDefinition.addContainer(INITIAL_CONFIG_CONTAINER_NAME, {
      image: props.image,
      essential: false,
      readonlyRootFilesystem: true,
      user: GATEWAY_USER,
      memoryLimitMiB: INITIAL_CONFIG_MEMORY_MIB,
      command: ['node', '-e', "require('node:fs').writeFileSync(process.env.INITIAL_CONFIG_PATH, process.env.INITIAL_CONFIG_DOCUMENT)"],
      environment: { INITIAL_CONFIG_PATH: file, INITIAL_CONFIG_DOCUMENT: props.initialConfig as string },
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: INITIAL_CONFIG_CONTAINER_NAME, mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
    });
    controlPlane.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
    controlPlane.addEnvironment(envName('initialConfigFile'), file);
    return init;
  }

  constructor(scope: Construct, id: string, props: ControlPlaneServiceProps) {
    super(scope, id);
    const desired = props.desiredCount ?? 2;
    if (!Number.isInteger(desired) || desired < 1) throw new Error(`ControlPlaneService: desiredCount must be a positive integer, got ${desired}.`);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', { cpu: 256, memoryLimitMiB: TASK_MEMORY_MIB });
    grantImagePull(this.taskDefinition);
    const container = this.taskDefinition.addContainer(
      'control-plane',
      gatewayContainerOptions({
        image: props.image,
        role: 'control-plane',
        logGroup,
        drainTimeout: Duration.seconds(10),
        memoryLimitMiB: TASK_MEMORY_MIB - (props.initialConfig === undefined ? 0 : INITIAL_CONFIG_MEMORY_MIB),
        settings: { adminHost: '0.0.0.0', adminPort: GATEWAY_ADMIN_PORT, ...props.settings },
        secrets: props.secrets,
      }),
    );
    container.addPortMappings({ containerPort: GATEWAY_ADMIN_PORT, name: 'admin' }, { containerPort: GATEWAY_STATUS_PORT, name: 'status' });
    addDataVolume(this.taskDefinition, container, ...(props.initialConfig === undefined ? [] : [this.addInitialConfig(props, logGroup, container)]));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.cluster.vpc, description: 'Gatehouse control plane tasks' });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: desired,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'Gatehouse admin API load balancer',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.cluster.vpc,
      internetFacing: false,
      securityGroup: albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection ?? false,
    });
    this.loadBalancer.logAccessLogs(props.accessLogsBucket, 'admin-alb');
    this.adminProtocol = props.certificateArn ? 'https' : 'http';
    this.adminListenerPort = props.certificateArn ? 443 : 80;
    const listener = this.loadBalancer.addListener('Admin', {
      port: this.adminListenerPort,
      open: false,
      ...(props.certificateArn
        ? { protocol: elbv2.ApplicationProtocol.HTTPS, certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)], sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }
        : { protocol: elbv2.ApplicationProtocol.HTTP }),
    });
    albSecurityGroup.addIngressRule(props.adminClients, ec2.Port.tcp(this.adminListenerPort), 'Admin API clients');
    Validations.of(albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'The internal admin load balancer admits only adminClients (the VPC CIDR by default, a token the rule cannot evaluate).',
    });
    listener.addTargets('ControlPlane', {
      port: GATEWAY_ADMIN_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service.loadBalancerTarget({ containerName: 'control-plane', containerPort: GATEWAY_ADMIN_PORT })],
      deregistrationDelay: Duration.seconds(10),
      // Liveness, not readiness: the control plane is unready while its database is down or its head is
      // tampered, and ECS replaces tasks that fail load balancer health checks (ECS developer guide,
      // "Health checks for Application Load Balancer target groups"); a replacement would be just as
      // unready. A live control plane gives the true answer (503 naming the fault) itself.
      healthCheck: { path: '/healthz', port: String(GATEWAY_STATUS_PORT), healthyHttpCodes: '200', interval: Duration.seconds(10) },
    });
    this.securityGroup.connections.allowFrom(albSecurityGroup, ec2.Port.tcp(GATEWAY_STATUS_PORT), 'Load balancer health checks');

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Settings are environment variables by the gateway\'s design (DESIGN.md settings contract); credentials come from Secrets Manager.',
    });
  }
}
