/**
 * A mocked AWS per region for the release command's tests: every client is a real SDK client whose
 * `send` is stubbed by aws-sdk-client-mock, preloaded with the answers of a healthy deployed region.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

import type { ClientFactory, RegionClients } from '../../../infra/release/clients';
import type { ReleaseConfig } from '../../../infra/release/deployment-config';
import { runCli } from '../../../infra/release/cli';

export const ACCOUNT = '123456789012';
export const PRIMARY = 'us-east-1';
export const SECONDARIES = ['us-west-2', 'eu-west-1'];
export const REGIONS = [PRIMARY, ...SECONDARIES];
export const CONFIG: ReleaseConfig = { primaryRegion: PRIMARY, secondaryRegions: SECONDARIES, stackPrefix: 'Gatehouse', defaultStrategy: 'canary' };

/** The kit's gateway repository (names.repositoryName) in a region. */
export const repository = (region: string) => `${ACCOUNT}.dkr.ecr.${region}.amazonaws.com/gatehouse/gateway`;
export const currentImage = (region: string) => `${repository(region)}:1.3.0`;
export const taskDefinitionArn = (region: string, revision: number) => `arn:aws:ecs:${region}:${ACCOUNT}:task-definition/gatehouse-gateway:${revision}`;
export const deploymentIdOf = (region: string) => `d-${region.replace(/-/g, '').toUpperCase()}`;
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable';

/** The stack outputs of a region, named after the region so calls can be told apart. */
export function outputsOf(region: string): Record<string, string> {
  return {
    ClusterName: `gh-cluster-${region}`,
    ServiceName: `gh-gateway-${region}`,
    ContainerName: 'gateway',
    ContainerPort: '8080',
    CodeDeployApplication: `gh-app-${region}`,
    DeploymentGroup: `gh-dg-${region}`,
    ProdListenerArn: `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:listener/app/gh/1/prod`,
    TestListenerArn: `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:listener/app/gh/1/test`,
    ImageParameterName: '/gatehouse/gateway/image',
    SmokeTestFunctionName: `gh-smoke-test-${region}`,
    LoadBalancerDnsName: `gh-${region}.elb.amazonaws.com`,
  };
}

/** A task definition as DescribeTaskDefinition returns it, read-only fields included. */
export function describedTaskDefinition(region: string, revision = 12, image = currentImage(region)): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(region, revision),
    family: 'gatehouse-gateway',
    revision,
    status: 'ACTIVE',
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/gh-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/gh-exec`,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
    cpu: '512',
    memory: '1024',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    registeredAt: new Date('2026-11-01T10:00:00Z'),
    registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/cdk`,
    containerDefinitions: [
      {
        name: 'gateway',
        image,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }, { containerPort: 9190, protocol: 'tcp' }],
        environment: [{ name: 'GATEHOUSE_ROLE', value: 'data-plane' }],
        secrets: [{ name: 'REDIS_AUTH', valueFrom: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:redis` }],
      },
      { name: 'log-router', image: SIDECAR_IMAGE, essential: true, firelensConfiguration: { type: 'fluentbit' } },
    ],
  };
}

/** The ECS deployment target as GetDeploymentTarget shows it mid-deployment. */
export function ecsTarget(region: string, phase: string, greenTraffic: number, greenRunning: number): ECSTarget {
  const events = ['BeforeInstall', 'Install', 'AfterInstall', 'AllowTestTraffic', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'];
  // 'done' marks every lifecycle event as succeeded.
  const at = phase === 'done' ? events.length : events.indexOf(phase);
  return {
    deploymentId: deploymentIdOf(region),
    targetId: `gh-cluster-${region}:gh-gateway-${region}`,
    status: 'InProgress',
    lifecycleEvents: events.map((name, i) => ({ lifecycleEventName: name, status: i < at ? 'Succeeded' : i === at ? 'InProgress' : 'Pending' })),
    taskSetsInfo: [
      { identifer: 'ecs-svc/1', taskSetLabel: 'Blue', trafficWeight: 100 - greenTraffic, desiredCount: 2, runningCount: 2, status: 'PRIMARY' },
      { identifer: 'ecs-svc/2', taskSetLabel: 'Green', trafficWeight: greenTraffic, desiredCount: 2, runningCount: greenRunning, status: 'ACTIVE' },
    ],
  };
}

export interface RegionMocks {
  readonly cloudFormation: AwsStub<any, any, any>;
  readonly ecs: AwsStub<any, any, any>;
  readonly codeDeploy: AwsStub<any, any, any>;
  readonly ssm: AwsStub<any, any, any>;
  readonly elbv2: AwsStub<any, any, any>;
  readonly ecr: AwsStub<any, any, any>;
}

/** Commands that change something in AWS; a dry run, status, or an untouched region must send none. */
export const MUTATING = [RegisterTaskDefinitionCommand, CreateDeploymentCommand, StopDeploymentCommand, PutParameterCommand];

export class FakeAws {
  readonly mocks = new Map<string, RegionMocks>();
  private readonly clients = new Map<string, RegionClients>();

  constructor(regions: readonly string[] = REGIONS) {
    for (const region of regions) {
      const clients: RegionClients = {
        cloudFormation: new CloudFormationClient({ region }),
        ecs: new ECSClient({ region }),
        codeDeploy: new CodeDeployClient({ region }),
        ssm: new SSMClient({ region }),
        elbv2: new ElasticLoadBalancingV2Client({ region }),
        ecr: new ECRClient({ region }),
      };
      this.clients.set(region, clients);
      this.mocks.set(region, {
        cloudFormation: mockClient(clients.cloudFormation),
        ecs: mockClient(clients.ecs),
        codeDeploy: mockClient(clients.codeDeploy),
        ssm: mockClient(clients.ssm),
        elbv2: mockClient(clients.elbv2),
        ecr: mockClient(clients.ecr),
      });
      this.healthyRegion(region);
    }
  }

  readonly factory: ClientFactory = (region) => {
    const clients = this.clients.get(region);
    if (!clients) throw new Error(`test asked for clients of unexpected region ${region}`);
    return clients;
  };

  region(region: string): RegionMocks {
    return this.mocks.get(region) as RegionMocks;
  }

  /** A deployed region whose deployment goes InProgress → InProgress → Succeeded. */
  healthyRegion(region: string): void {
    const m = this.region(region);
    m.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: `Gatehouse-${region}`,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          Outputs: Object.entries(outputsOf(region)).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    m.ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: `gh-gateway-${region}`,
          status: 'ACTIVE',
          deploymentController: { type: 'CODE_DEPLOY' },
          taskDefinition: taskDefinitionArn(region, 12),
          desiredCount: 2,
          runningCount: 2,
          taskSets: [{ status: 'PRIMARY', taskDefinition: taskDefinitionArn(region, 12), runningCount: 2, computedDesiredCount: 2 }],
        },
      ],
      failures: [],
    });
    m.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition(region), tags: [{ key: 'app', value: 'gatehouse' }] });
    m.ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: taskDefinitionArn(region, 13) } });
    this.codeDeployBasics(region);
    m.codeDeploy
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    m.ssm.on(PutParameterCommand).resolves({ Version: 2 });
    m.ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: `sha256:${'0'.repeat(64)}` }] });
  }

  /** CodeDeploy answers of a region, except GetDeployment, which each scenario sets. */
  codeDeployBasics(region: string): void {
    const m = this.region(region);
    m.codeDeploy.reset();
    m.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    m.codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: deploymentIdOf(region) });
    m.codeDeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: [`gh-cluster-${region}:gh-gateway-${region}`] });
    m.codeDeploy
      .on(GetDeploymentTargetCommand)
      .resolvesOnce({ deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: ecsTarget(region, 'AfterAllowTestTraffic', 0, 2) } })
      .resolvesOnce({ deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: ecsTarget(region, 'AllowTraffic', 10, 2) } })
      .resolves({ deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: ecsTarget(region, 'done', 100, 2) } });
    m.codeDeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  }

  /** A region whose deployment fails in the smoke-test hook and is rolled back automatically. */
  failingRegion(region: string): void {
    const m = this.region(region);
    this.codeDeployBasics(region);
    m.codeDeploy
      .on(GetDeploymentCommand, { deploymentId: deploymentIdOf(region) })
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({
        deploymentInfo: {
          status: 'Failed',
          errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'The AfterAllowTestTraffic hook failed' },
          rollbackInfo: { rollbackDeploymentId: `${deploymentIdOf(region)}-RB`, rollbackMessage: 'rolled back' },
        },
      });
    m.codeDeploy.on(GetDeploymentCommand, { deploymentId: `${deploymentIdOf(region)}-RB` }).resolves({ deploymentInfo: { status: 'Succeeded' } });
  }

  /** Every mutating command any region received, as `region Command` strings in call order per region. */
  mutatingCalls(region?: string): string[] {
    const regions = region ? [region] : [...this.mocks.keys()];
    const calls: string[] = [];
    for (const r of regions) {
      const m = this.region(r);
      for (const stub of [m.ecs, m.codeDeploy, m.ssm, m.cloudFormation, m.elbv2]) {
        for (const command of MUTATING) {
          for (let i = 0; i < stub.commandCalls(command as never).length; i += 1) calls.push(`${r} ${command.name}`);
        }
      }
    }
    return calls;
  }

  restore(): void {
    for (const m of this.mocks.values()) for (const stub of Object.values(m)) (stub as AwsStub<any, any, any>).restore();
  }
}

/** Collected output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process against the fake AWS with zero-delay polling. */
export async function runRelease(argv: string[], aws: FakeAws, config: ReleaseConfig = CONFIG, timing: Parameters<typeof runCli>[1]['timing'] = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    clients: aws.factory,
    loadConfig: () => config,
    timing: { pollIntervalMs: 0, sleep: () => new Promise((r) => setImmediate(r)), ...timing },
  });
  return { code, out, err };
}

/** Mutating calls across all regions in the order they were made (sinon numbers calls globally). */
export function mutatingLog(aws: FakeAws): string[] {
  const calls: Array<{ id: number; text: string }> = [];
  for (const [region, m] of aws.mocks) {
    for (const stub of [m.ecs, m.codeDeploy, m.ssm]) {
      for (const command of MUTATING) {
        for (const call of stub.commandCalls(command as never)) calls.push({ id: (call as unknown as { callId: number }).callId, text: `${region} ${command.name}` });
      }
    }
  }
  return calls.sort((a, b) => a.id - b.id).map((c) => c.text);
}
