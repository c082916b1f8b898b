import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT } from './public-load-balancer';
import { addDataVolume, gatewayContainerOptions, grantImagePull } from './gateway-container';
import type { GatewaySecretSettings, GatewaySettings } from './gateway-settings';

/** The name of the gateway container in the task definition (infra contract: `ContainerName`). */
export const GATEWAY_CONTAINER_NAME = 'gateway';

/** The data plane's sizes when a prop is left out; the `dev` profile is exactly these. */
export const GATEWAY_SERVICE_DEFAULTS = {
  cpu: 512,
  memoryMiB: 1024,
  minTasks: 2,
  maxTasks: 4,
  targetCpuPercent: 60,
  requestsPerTask: 1000,
} as const;

/** Properties of a {@link GatewayService}. */
export interface GatewayServiceProps {
  /** The ECS cluster (its VPC's private subnets host the tasks). */
  readonly cluster: ecs.ICluster;
  /** The gateway image. */
  readonly image: ecs.ContainerImage;
  /** The load balancer whose request count drives scaling. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Its security group: allowed to the proxy port and the status port (health checks). */
  readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** The target group the service registers with first (CodeDeploy swaps it with the green one). */
  readonly blueTargetGroup: elbv2.IApplicationTargetGroup;
  /**
   * Task CPU units.
   *
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Task memory (MiB).
   *
   * @default 1024
   */
  readonly memoryMiB?: number;
  /**
   * Fewest tasks; at least 2 so that one zone or one task can fail without an outage.
   *
   * @default 2
   */
  readonly minTasks?: number;
  /**
   * Most tasks the autoscaler may run.
   *
   * @default 4
   */
  readonly maxTasks?: number;
  /**
   * Average CPU the autoscaler keeps the service at (percent).
   *
   * @default 60
   */
  readonly targetCpuPercent?: number;
  /**
   * Requests per task per minute the autoscaler aims for (load balancer requests / running tasks).
   *
   * @default 1000
   */
  readonly requestsPerTask?: number;
  /**
   * The gateway's drain timeout (setting `drainTimeoutMs`); keep it equal to the target groups'
   * deregistration delay. The container's stop timeout leaves room for it.
   *
   * @default Duration.seconds(30)
   */
  readonly drainTimeout?: Duration;
  /**
   * Further gateway settings (see the README settings table).
   *
   * @default - none beyond the role, ports, data dir and drain settings
   */
  readonly settings?: GatewaySettings;
  /**
   * Settings taken from Secrets Manager (e.g. `redisUrl`, the store's credentials).
   *
   * @default - none
   */
  readonly secrets?: GatewaySecretSettings;
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
 * The data plane: a Fargate service of gateway tasks in the private subnets, at least two, spread
 * over the zones, registered in the blue target group with CodeDeploy as deployment controller.
 * Read-only root filesystem with a task volume for GATEHOUSE_DATA_DIR (also HOME and TMPDIR); container health check on
 * `/healthz`; logs to CloudWatch; autoscaling on CPU and on load balancer requests per task.
 */
export class GatewayService extends Construct {
  /** The ECS service (deployment controller CODE_DEPLOY). */
  readonly service: ecs.FargateService;
  /** The task definition CloudFormation manages; releases register copies of it. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The gateway container. */
  readonly container: ecs.ContainerDefinition;
  /** The tasks' security group. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The container log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayServiceProps) {
    super(scope, id);
    const d = GATEWAY_SERVICE_DEFAULTS;
    const minTasks = props.minTasks ?? d.minTasks;
    const maxTasks = props.maxTasks ?? Math.max(d.maxTasks, minTasks);
    if (minTasks < 2) throw new Error(`GatewayService: minTasks must be at least 2 (one per zone survives a zone loss), got ${minTasks}.`);
    if (maxTasks < minTasks) throw new Error(`GatewayService: maxTasks (${maxTasks}) must be at least minTasks (${minTasks}).`);
    const drain = props.drainTimeout ?? Duration.seconds(30);
    const memoryMiB = props.memoryMiB ?? d.memoryMiB;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? d.cpu,
      memoryLimitMiB: memoryMiB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    grantImagePull(this.taskDefinition);
    this.container = this.taskDefinition.addContainer(
      GATEWAY_CONTAINER_NAME,
      gatewayContainerOptions({
        image: props.image,
        role: 'data-plane',
        logGroup: this.logGroup,
        drainTimeout: drain,
        memoryLimitMiB: memoryMiB,
        settings: props.settings,
        secrets: props.secrets,
      }),
    );
    this.container.addPortMappings(
      { containerPort: GATEWAY_PROXY_PORT, name: 'proxy' },
      { containerPort: GATEWAY_STATUS_PORT, name: 'status' },
    );
    addDataVolume(this.taskDefinition, this.container);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: 'Gatehouse data plane tasks',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      healthCheckGracePeriod: Duration.seconds(60),
      enableECSManagedTags: true,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.service.attachToApplicationTargetGroup(props.blueTargetGroup);
    for (const port of [GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT])
      this.securityGroup.connections.allowFrom(props.loadBalancerSecurityGroup, ec2.Port.tcp(port), 'Load balancer traffic and health checks');

    this.addScaling(props, minTasks, maxTasks);
  }

  private addScaling(props: GatewayServiceProps, minTasks: number, maxTasks: number): void {
    const target = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: `service/${props.cluster.clusterName}/${this.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: minTasks,
      maxCapacity: maxTasks,
    });
    target.scaleToTrackMetric('Cpu', {
      predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: props.targetCpuPercent ?? GATEWAY_SERVICE_DEFAULTS.targetCpuPercent,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    // Requests per task come from the load balancer as a whole divided by running tasks: the
    // predefined per-target metric is tied to one target group, and blue/green swaps the groups.
    new appscaling.CfnScalingPolicy(this, 'RequestsPerTask', {
      policyName: `${Stack.of(this).stackName}-requests-per-task`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.requestsPerTask ?? GATEWAY_SERVICE_DEFAULTS.requestsPerTask,
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'requests',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'AWS/ApplicationELB',
                  metricName: 'RequestCount',
                  dimensions: [{ name: 'LoadBalancer', value: props.loadBalancer.loadBalancerFullName }],
                },
                stat: 'Sum',
              },
            },
            {
              id: 'tasks',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: props.cluster.clusterName },
                    { name: 'ServiceName', value: this.service.serviceName },
                  ],
                },
                stat: 'Average',
              },
            },
            { id: 'perTask', expression: 'requests / tasks', label: 'Requests per task', returnData: true },
          ],
        },
      },
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Settings are environment variables by the gateway\'s design (DESIGN.md settings contract); credentials come from Secrets Manager.',
    });
  }
}
