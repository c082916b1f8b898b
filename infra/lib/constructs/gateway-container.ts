/**
 * What the data plane and control plane containers share: the settings contract of DESIGN.md
 * (role, ports, data dir, drain), a read-only root filesystem, the container health check, and
 * the permission to pull the gateway image whichever ECR repository a release put it in.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { envName } from '../../../gateway/src/settings/schema';
import { gatewayEnvironment, gatewaySecrets, type GatewaySecretSettings, type GatewaySettings } from './gateway-settings';
import { GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT } from './public-load-balancer';

/** Where the writable task volume is mounted; GATEHOUSE_DATA_DIR, HOME and TMPDIR point here. */
export const GATEWAY_DATA_DIR = '/var/lib/gatehouse';
/** The image's `node` user (gateway/Dockerfile), numeric so ECS needs no passwd lookup; it owns only the data volume. */
export const GATEWAY_USER = '1000:1000';
/** The task volume mounted at GATEWAY_DATA_DIR. */
const DATA_VOLUME = 'data';
/** The admin API port (DESIGN.md contract). */
export const GATEWAY_ADMIN_PORT = 9180;
/** Time the gateway keeps `/readyz` at 503 after SIGTERM (GATEHOUSE_DEREGISTRATION_DELAY_MS). */
const DEREGISTRATION_DELAY_MS = 5_000;
/** Headroom between the gateway's own shutdown budget and ECS's SIGKILL. */
const STOP_MARGIN_SECONDS = 5;

export interface GatewayContainerSettings {
  readonly image: ecs.ContainerImage;
  readonly role: 'data-plane' | 'control-plane';
  readonly logGroup: logs.ILogGroup;
  readonly drainTimeout: Duration;
  /** The container's memory hard limit (MiB): the task's memory less what its other containers take. */
  readonly memoryLimitMiB: number;
  readonly settings?: GatewaySettings;
  readonly secrets?: GatewaySecretSettings;
}

// Node's fetch, so the image needs no curl; the port is the container's own setting.
const HEALTH_CHECK = `node -e "fetch('http://127.0.0.1:'+process.env.${envName('statusPort')}+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"`;

/** Container options for a gateway process in the given role. */
export function gatewayContainerOptions(s: GatewayContainerSettings): ecs.ContainerDefinitionOptions {
  const stopSeconds = Math.min(120, DEREGISTRATION_DELAY_MS / 1000 + s.drainTimeout.toSeconds() + STOP_MARGIN_SECONDS);
  return {
    image: s.image,
    essential: true,
    readonlyRootFilesystem: true,
    user: GATEWAY_USER,
    // A hard limit (Control Tower CT.ECS.PR.10): a leak ends in an OOM kill of this task, not a starved neighbour.
    memoryLimitMiB: s.memoryLimitMiB,
    logging: ecs.LogDrivers.awsLogs({ logGroup: s.logGroup, streamPrefix: s.role, mode: ecs.AwsLogDriverMode.NON_BLOCKING }),
    stopTimeout: Duration.seconds(stopSeconds),
    healthCheck: {
      command: ['CMD-SHELL', HEALTH_CHECK],
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(30),
    },
    environment: {
      ...gatewayEnvironment({
        role: s.role,
        proxyHost: '0.0.0.0',
        proxyPort: GATEWAY_PROXY_PORT,
        statusHost: '0.0.0.0',
        statusPort: GATEWAY_STATUS_PORT,
        dataDir: GATEWAY_DATA_DIR,
        deregistrationDelayMs: DEREGISTRATION_DELAY_MS,
        drainTimeoutMs: s.drainTimeout.toMilliseconds(),
        ...s.settings,
      }),
      // The root filesystem is read-only: whatever node or a library writes for itself lands on the volume.
      HOME: GATEWAY_DATA_DIR,
      TMPDIR: GATEWAY_DATA_DIR,
    },
    secrets: s.secrets ? gatewaySecrets(s.secrets) : undefined,
  };
}

/** Gives the task its writable data volume, mounted at GATEWAY_DATA_DIR in each of `containers`. */
export function addDataVolume(taskDefinition: ecs.TaskDefinition, ...containers: ecs.ContainerDefinition[]): void {
  taskDefinition.addVolume({ name: DATA_VOLUME });
  for (const container of containers) container.addMountPoints({ sourceVolume: DATA_VOLUME, containerPath: GATEWAY_DATA_DIR, readOnly: false });
}

/**
 * Lets the task's execution role pull from this region's ECR repositories: the image is decided at
 * deploy time (the released-image parameter), so its repository is not known at synth.
 */
export function grantImagePull(taskDefinition: ecs.TaskDefinition): void {
  const stack = Stack.of(taskDefinition);
  const role = taskDefinition.obtainExecutionRole();
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })],
    }),
  );
  Validations.of(role).acknowledge(
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken has no resource-level permissions.' },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:${stack.region}:${stack.account}:repository/*]`,
      reason: 'The released image is chosen at deploy time (SSM parameter), so its repository is not known at synth; pulls stay within this account and region.',
    },
  );
}
