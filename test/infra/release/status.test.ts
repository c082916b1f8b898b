import { GetDeploymentCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { DescribeListenersCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';

import { currentImage, FakeAws, mutatingLog, outputsOf, repository, runRelease, taskDefinitionArn } from './fake-aws';

const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gh-blue/1';
const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gh-green/2';

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
  const m = aws.region('us-east-1');
  m.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/gatehouse/gateway/image', Value: currentImage('us-east-1') } });
  m.elbv2.on(DescribeListenersCommand).resolves({
    Listeners: [{ DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE, Weight: 90 }, { TargetGroupArn: GREEN, Weight: 10 }] } }] }],
  });
  m.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: BLUE }).resolves({
    TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'healthy' } }],
  });
  m.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }).resolves({
    TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'initial' } }],
  });
});
afterEach(() => aws.restore());

test('status shows what runs, the released image, production traffic and no deployment, changing nothing', async () => {
  const run = await runRelease(['status', '--regions', 'us-east-1'], aws);

  expect(run.code).toBe(0);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.out).toBe(
    [
      `us-east-1 (stack Gatehouse-us-east-1, ${outputsOf('us-east-1').LoadBalancerDnsName})`,
      `  running: ${taskDefinitionArn('us-east-1', 12)}, image ${currentImage('us-east-1')}, tasks 2/2`,
      `  released image (/gatehouse/gateway/image): ${currentImage('us-east-1')}`,
      '  production traffic: gh-blue 90% (2/2 healthy), gh-green 10% (1/2 healthy)',
      '  deployment: none in progress',
      '',
    ].join('\n'),
  );
  expect(aws.region('us-east-1').elbv2.commandCalls(DescribeListenersCommand)[0]?.args[0].input).toEqual({ ListenerArns: [outputsOf('us-east-1').ProdListenerArn] });
});

test('status shows a deployment in flight with its phase and traffic, and a released image that differs', async () => {
  const m = aws.region('us-east-1');
  m.codeDeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-USEAST1'] });
  m.codeDeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
  m.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: `${repository('us-east-1')}:1.2.0` } });

  const run = await runRelease(['status', '--regions', 'us-east-1'], aws);

  expect(run.code).toBe(0);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.out).toContain(
    `  released image (/gatehouse/gateway/image): ${repository('us-east-1')}:1.2.0 (differs from the running image: a deployment is in flight, or the last release did not finish)\n`,
  );
  expect(run.out).toContain('  deployment: d-USEAST1 InProgress: phase AfterAllowTestTraffic, traffic on green 0%, healthy green tasks 2/2\n');
});

test('status of a region whose parameter does not exist yet says "not set"', async () => {
  aws.region('us-east-1').ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));

  const run = await runRelease(['status', '--regions', 'us-east-1'], aws);

  expect(run.out).toContain('  released image (/gatehouse/gateway/image): not set\n');
});
