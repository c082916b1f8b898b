import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  BlueGreenDeployment,
  GatewayRelease,
  GatewayService,
  NetworkFoundation,
  PublicLoadBalancer,
  ServiceRollout,
  SmokeTestHook,
  type TrafficShifting,
} from '../../../infra/lib';
import { resourcesOf, testStack, zonesOf, type TestStack } from './helpers';

const IMAGE = '111111111111.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.0.0';

/** A region's data plane and its GatewayRelease, composed like the regional stack does. */
function dataPlane(stack: TestStack, options: { shifting?: TrafficShifting; drain?: Duration; minTasks?: number } = {}) {
  const net = new NetworkFoundation(stack, 'Network', { availabilityZones: zonesOf(stack.region) });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: net.vpc });
  const edge = new PublicLoadBalancer(stack, 'Edge', { vpc: net.vpc, deregistrationDelay: options.drain });
  const gateway = new GatewayService(stack, 'Gateway', {
    cluster,
    image: ecs.ContainerImage.fromRegistry(IMAGE),
    loadBalancer: edge.loadBalancer,
    loadBalancerSecurityGroup: edge.securityGroup,
    blueTargetGroup: edge.blueTargetGroup,
    drainTimeout: options.drain,
    minTasks: options.minTasks,
    settings: { logLevel: 'debug' },
  });
  const release = new GatewayRelease(stack, 'Release', {
    edge,
    gateway,
    imageParameterName: '/gatehouse/gateway/image',
    trafficShifting: options.shifting,
    smokeTestCode: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  const { blueGreen, smokeTest: smoke } = release;
  return { net, cluster, edge, gateway, release, blueGreen, smoke };
}

describe('GatewayService and GatewayRelease (BlueGreenDeployment, SmokeTestHook, ServiceRollout)', () => {
  let t: Template;
  let linear: Template;

  beforeAll(() => {
    const s = testStack('Default');
    dataPlane(s);
    t = Template.fromStack(s);
    const l = testStack('Linear');
    dataPlane(l, { shifting: 'linear', drain: Duration.seconds(60), minTasks: 3 });
    linear = Template.fromStack(l);
  });

  describe('GatewayService', () => {
    test('runs at least two Fargate tasks in private subnets under CodeDeploy control', () => {
      t.hasResourceProperties('AWS::ECS::Service', {
        LaunchType: 'FARGATE',
        DesiredCount: 2,
        DeploymentController: { Type: 'CODE_DEPLOY' },
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
        LoadBalancers: [Match.objectLike({ ContainerName: 'gateway', ContainerPort: 8080 })],
      });
      const service = resourcesOf(t, 'AWS::ECS::Service')[0][1];
      expect(JSON.stringify((service.Properties!.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown[] } }).AwsvpcConfiguration.Subnets)).toMatch(
        /privateSubnet1.*privateSubnet2.*privateSubnet3/,
      );
    });

    test('the container: read-only root, writable data dir volume, health check, settings contract, awslogs', () => {
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '512',
        Memory: '1024',
        Volumes: [{ Name: 'data' }],
        ContainerDefinitions: [
          Match.objectLike({
            Name: 'gateway',
            Image: IMAGE,
            ReadonlyRootFilesystem: true,
            StopTimeout: 40,
            User: '1000:1000',
            MountPoints: [{ ContainerPath: '/var/lib/gatehouse', ReadOnly: false, SourceVolume: 'data' }],
            PortMappings: [Match.objectLike({ ContainerPort: 8080 }), Match.objectLike({ ContainerPort: 9190 })],
            HealthCheck: Match.objectLike({ Command: ['CMD-SHELL', Match.stringLikeRegexp("127.0.0.1:'\\+process.env.GATEHOUSE_STATUS_PORT\\+'/healthz")] }),
            LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          }),
        ],
      });
      // In any order (Match.arrayWith keeps the pattern's order; the settings come before HOME/TMPDIR).
      const gateway = (resourcesOf(t, 'AWS::ECS::TaskDefinition')[0][1].Properties!.ContainerDefinitions as Array<{ Name: string; Environment: unknown[] }>).find(
        (c) => c.Name === 'gateway',
      )!;
      expect(gateway.Environment).toEqual(
        expect.arrayContaining([
          { Name: 'GATEHOUSE_ROLE', Value: 'data-plane' },
          { Name: 'GATEHOUSE_PROXY_PORT', Value: '8080' },
          { Name: 'GATEHOUSE_STATUS_PORT', Value: '9190' },
          { Name: 'GATEHOUSE_DATA_DIR', Value: '/var/lib/gatehouse' },
          { Name: 'HOME', Value: '/var/lib/gatehouse' },
          { Name: 'TMPDIR', Value: '/var/lib/gatehouse' },
          { Name: 'GATEHOUSE_DRAIN_TIMEOUT_MS', Value: '30000' },
          { Name: 'GATEHOUSE_LOG_LEVEL', Value: 'debug' },
        ]),
      );
    });

    test('the drain timeout follows the deregistration delay and stretches the stop timeout', () => {
      linear.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({ StopTimeout: 70, Environment: Match.arrayWith([{ Name: 'GATEHOUSE_DRAIN_TIMEOUT_MS', Value: '60000' }]) }),
        ],
      });
      linear.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3 });
    });

    test('scales between min and max on CPU and on load balancer requests per task', () => {
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' });
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 60,
        }),
      });
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          TargetValue: 1000,
          CustomizedMetricSpecification: { Metrics: Match.arrayWith([Match.objectLike({ Id: 'perTask', Expression: 'requests / tasks', ReturnData: true })]) },
        }),
      });
    });

    test('lets the load balancer reach the proxy and status ports', () => {
      for (const port of [8080, 9190])
        t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
          FromPort: port,
          ToPort: port,
          GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewaySecurityGroup'), 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeSecurityGroup'), 'GroupId'] },
        });
    });

    test('rejects fewer than two tasks and a maximum below the minimum', () => {
      const s = testStack();
      const { cluster, edge } = dataPlane(s);
      const base = {
        cluster,
        image: ecs.ContainerImage.fromRegistry(IMAGE),
        loadBalancer: edge.loadBalancer,
        loadBalancerSecurityGroup: edge.securityGroup,
        blueTargetGroup: edge.blueTargetGroup,
      };
      expect(() => new GatewayService(s, 'One', { ...base, minTasks: 1 })).toThrow(
        'GatewayService: minTasks must be at least 2 (one per zone survives a zone loss), got 1.',
      );
      expect(() => new GatewayService(s, 'Inverted', { ...base, minTasks: 4, maxTasks: 3 })).toThrow('GatewayService: maxTasks (3) must be at least minTasks (4).');
    });
  });

  describe('BlueGreenDeployment', () => {
    test('an ECS deployment group with both target groups, prod and test listeners, canary by default', () => {
      t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
        DeploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
        BlueGreenDeploymentConfiguration: {
          DeploymentReadyOption: { ActionOnTimeout: 'CONTINUE_DEPLOYMENT', WaitTimeInMinutes: 0 },
          TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 5 },
        },
        LoadBalancerInfo: {
          TargetGroupPairInfoList: [
            Match.objectLike({
              ProdTrafficRoute: { ListenerArns: [Match.anyValue()] },
              TestTrafficRoute: { ListenerArns: [Match.anyValue()] },
              TargetGroups: [Match.anyValue(), Match.anyValue()],
            }),
          ],
        },
      });
      linear.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' });
    });

    test('rolls back on failure, on a stop request and on alarms', () => {
      const group = resourcesOf(t, 'AWS::CodeDeploy::DeploymentGroup')[0][1].Properties!;
      expect(group.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'] });
      expect((group.AlarmConfiguration as { Alarms: unknown[]; Enabled: boolean }).Alarms).toHaveLength(6);
    });

    test('alarms on target 5xx rate, p99 latency and unhealthy hosts of both groups', () => {
      t.resourceCountIs('AWS::CloudWatch::Alarm', 6);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 5,
        Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' })]),
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2 });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount', Threshold: 1 });
    });

    test('rejects an impossible 5xx threshold and an unknown shifting', () => {
      const s = testStack();
      const { gateway, edge } = dataPlane(s);
      const base = {
        service: gateway.service,
        blueTargetGroup: edge.blueTargetGroup,
        greenTargetGroup: edge.greenTargetGroup,
        prodListener: edge.prodListener,
        testListener: edge.testListener,
      };
      expect(() => new BlueGreenDeployment(s, 'A', { ...base, max5xxPercent: 0 })).toThrow('BlueGreenDeployment: max5xxPercent must be above 0 and at most 100, got 0.');
      expect(() => new BlueGreenDeployment(s, 'B', { ...base, trafficShifting: 'big-bang' as TrafficShifting })).toThrow(
        'BlueGreenDeployment: trafficShifting must be one of canary, linear, all-at-once, got "big-bang".',
      );
    });
  });

  describe('SmokeTestHook', () => {
    test('runs in the VPC with the contract environment and the CodeDeploy/ELB permissions', () => {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
        Environment: {
          Variables: Match.objectLike({
            CANARY_PATH: '/',
            STATUS_PORT: '9190',
            TIMEOUT_MS: '5000',
            TEST_LISTENER_URL: Match.anyValue(),
            TEST_LISTENER_ARN: Match.anyValue(),
            GREEN_TARGET_GROUP_ARN: Match.anyValue(),
            BLUE_TARGET_GROUP_ARN: Match.anyValue(),
          }),
        },
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus' }),
            Match.objectLike({ Action: ['elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeListeners'] }),
          ]),
        },
      });
    });

    test('may reach the tasks\' status port', () => {
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 9190, Description: 'Smoke test of replacement tasks' });
    });

    test('rejects a long request timeout and a relative canary path', () => {
      const s = testStack();
      const { net, gateway } = dataPlane(s);
      const base = {
        vpc: net.vpc,
        testListenerUrl: 'http://x:9000',
        testListenerArn: 'arn',
        blueTargetGroupArn: 'b',
        greenTargetGroupArn: 'g',
        targetSecurityGroup: gateway.securityGroup,
        statusPort: 9190,
        code: lambda.Code.fromInline('x'),
      };
      expect(() => new SmokeTestHook(s, 'A', { ...base, requestTimeout: Duration.minutes(2) })).toThrow('SmokeTestHook: requestTimeout must be at most 60 seconds, got 120.');
      expect(() => new SmokeTestHook(s, 'B', { ...base, canaryPath: 'health' })).toThrow('SmokeTestHook: canaryPath must start with "/", got "health".');
    });
  });

  describe('GatewayRelease', () => {
    test('the deployment role may invoke the smoke-test function itself, not `:*` versions', () => {
      const role = resourcesOf(t, 'AWS::IAM::Role').find(([, r]) => JSON.stringify(r.Properties!.AssumeRolePolicyDocument).includes('codedeploy.amazonaws.com'))![0];
      const invokes = resourcesOf(t, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties!.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement)
        .filter((st) => st.Action === 'lambda:InvokeFunction');
      expect(invokes).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ReleaseSmokeTestFunction/), 'Arn'] } }]);
    });

    test('its contract names the release command\'s outputs', () => {
      const s = testStack('Contract');
      const { release, gateway, edge } = dataPlane(s);
      // Constructs by identity: toMatchObject/toEqual on a construct walks every path of the app's
      // construct graph (jest's subsetEquality forgets visited nodes between siblings), which never ends.
      const { contract } = release;
      expect(contract.service).toBe(gateway.service);
      expect(contract.cluster).toBe(gateway.service.cluster);
      expect(contract.loadBalancer).toBe(edge.loadBalancer);
      expect(contract.prodListener).toBe(edge.prodListener);
      expect(contract.testListener).toBe(edge.testListener);
      expect(contract.deploymentGroup).toBe(release.blueGreen.deploymentGroup);
      expect(contract.smokeTestFunction).toBe(release.smokeTest.function);
      expect([contract.containerName, contract.containerPort, contract.imageParameterName]).toEqual(['gateway', 8080, '/gatehouse/gateway/image']);
    });
  });

  describe('ServiceRollout', () => {
    test('a custom resource naming the task definition, the group, the released-image parameter and the hook', () => {
      t.hasResourceProperties('Custom::GatehouseServiceRollout', {
        TaskDefinitionArn: { Ref: Match.stringLikeRegexp('^GatewayTaskDefinition') },
        ContainerName: 'gateway',
        ContainerPort: '8080',
        ImageParameterName: '/gatehouse/gateway/image',
        SmokeTestFunctionName: { Ref: Match.stringLikeRegexp('^ReleaseSmokeTestFunction') },
        DeploymentGroupName: { Ref: Match.stringLikeRegexp('^ReleaseBlueGreenDeploymentGroup') },
      });
    });

    test('waits through the provider framework (isComplete) and depends on the service', () => {
      const [, resource] = resourcesOf(t, 'Custom::GatehouseServiceRollout')[0];
      expect(resource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^GatewayService/), expect.stringMatching(/^ReleaseBlueGreenDeploymentGroup/)]));
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: Match.objectLike({ Level: 'ALL' }) });
      t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.onEvent', Runtime: 'nodejs24.x' });
      t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.isComplete', Runtime: 'nodejs24.x' });
    });

    test('its handler may read the image parameter and create deployments in its group only', () => {
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'ssm:GetParameter', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:111111111111:parameter/gatehouse/gateway/image']] } }),
            Match.objectLike({ Action: ['codedeploy:ListDeployments', 'codedeploy:CreateDeployment', 'codedeploy:GetDeployment'] }),
          ]),
        },
      });
    });

    test('its handler may register a copy of the task definition with the released image, passing only its roles', () => {
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], Resource: '*' }),
            Match.objectLike({ Action: 'ecs:TagResource' }),
            Match.objectLike({ Action: 'iam:PassRole', Resource: [Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayTaskDefinitionTaskRole'), 'Arn'] }), Match.anyValue()] }),
          ]),
        },
      });
    });

    // CloudFormation fails a custom resource after one hour and leaves its work running (AWS::CloudFormation::CustomResource, ServiceTimeout).
    test('rejects a timeout the handler could not finish, with rollback, within CloudFormation\'s hour', () => {
      const s = testStack();
      const { gateway, blueGreen } = dataPlane(s);
      expect(
        () =>
          new ServiceRollout(s, 'Long', {
            service: gateway.service,
            taskDefinition: gateway.taskDefinition,
            deploymentGroup: blueGreen.deploymentGroup,
            containerName: 'gateway',
            containerPort: 8080,
            imageParameterName: '/p',
            timeout: Duration.minutes(51),
          }),
      ).toThrow('ServiceRollout: timeout must be at most 50 minutes (CloudFormation fails a custom resource after one hour), got 51.');
    });

    test('the handler\'s deadline and the waiter\'s both end within the hour', () => {
      t.hasResourceProperties('Custom::GatehouseServiceRollout', { TimeoutSeconds: '2700' });
      const waiter = JSON.stringify(resourcesOf(t, 'AWS::StepFunctions::StateMachine')[0][1].Properties);
      expect(waiter).toContain('\\"MaxAttempts\\":100');
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['codedeploy:GetDeployment', 'codedeploy:StopDeployment'] })]) },
      });
    });
  });
});
