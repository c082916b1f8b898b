import { FakeAws, mutatingLog, repository, runRelease, taskDefinitionArn } from './fake-aws';

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
});
afterEach(() => aws.restore());

/** Every command name each region's clients received. */
function commandsSent(): string[] {
  const names = new Set<string>();
  for (const m of aws.mocks.values()) {
    for (const stub of Object.values(m)) for (const call of stub.calls()) names.add((call.args[0] as object).constructor.name);
  }
  return [...names].sort();
}

test('--dry-run prints waves, images, the task definition and the AppSpec, and calls nothing mutating', async () => {
  const run = await runRelease(['--image', '1.4.0', '--dry-run'], aws);

  expect(run.code).toBe(0);
  expect(run.err).toBe('');
  expect(mutatingLog(aws)).toEqual([]);
  // Only reads: Describe*, List*, Get*.
  expect(commandsSent()).toEqual(['DescribeImagesCommand', 'DescribeServicesCommand', 'DescribeStacksCommand', 'DescribeTaskDefinitionCommand', 'ListDeploymentsCommand']);
  expect(run.out).toContain(
    [
      'Release plan: tag 1.4.0, strategy canary (CodeDeployDefault.ECSCanary10Percent5Minutes)',
      '  wave 1: us-east-1',
      '  wave 2: us-west-2, eu-west-1',
      '  us-east-1: service gh-gateway-us-east-1 in cluster gh-cluster-us-east-1, deployment group gh-dg-us-east-1',
      `    image: ${repository('us-east-1')}:1.3.0 -> ${repository('us-east-1')}:1.4.0`,
      `    task definition: ${taskDefinitionArn('us-east-1', 12)} -> new revision of gatehouse-gateway`,
    ].join('\n'),
  );
  expect(run.out).toContain(
    [
      'us-east-1: CreateDeployment AppSpec (deployment config CodeDeployDefault.ECSCanary10Percent5Minutes):',
      '    {',
      '      "version": "0.0",',
      '      "Resources": [',
      '        {',
      '          "TargetService": {',
      '            "Type": "AWS::ECS::Service",',
      '            "Properties": {',
      '              "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/gatehouse-gateway:<next revision>",',
      '              "LoadBalancerInfo": {',
      '                "ContainerName": "gateway",',
      '                "ContainerPort": 8080',
      '              }',
      '            }',
      '          }',
      '        }',
      '      ],',
      '      "Hooks": [',
      '        {',
      '          "AfterAllowTestTraffic": "gh-smoke-test-us-east-1"',
      '        }',
      '      ]',
      '    }',
    ].join('\n'),
  );
  expect(run.out).toContain('us-east-1: RegisterTaskDefinition input:\n    {\n      "family": "gatehouse-gateway",\n      "taskRoleArn": "arn:aws:iam::123456789012:role/gh-task",');
  expect(run.out).toContain(`"image": "${repository('eu-west-1')}:1.4.0"`);
  expect(run.out).not.toContain('"revision"');
  expect(run.out).not.toContain('"registeredAt"');
  expect(run.out).toContain(`us-west-2: after success, SSM parameter /gatehouse/gateway/image = ${repository('us-west-2')}:1.4.0`);
  expect(run.out.endsWith('Dry run: nothing was registered, deployed or written.\n')).toBe(true);
});

test('--dry-run reports a missing stack like a real release would, and still changes nothing', async () => {
  aws.region('us-west-2').cloudFormation.reset();
  aws.region('us-west-2').cloudFormation.rejects(Object.assign(new Error('Stack with id Gatehouse-us-west-2 does not exist'), { name: 'ValidationError' }));

  const run = await runRelease(['--image', '1.4.0', '--dry-run'], aws);

  expect(run.code).toBe(2);
  expect(mutatingLog(aws)).toEqual([]);
  expect(run.err).toBe(
    'error: Stack "Gatehouse-us-west-2" was not found in us-west-2. Fix: deploy it with "npx cdk deploy Gatehouse-us-west-2", or check primaryRegion, secondaryRegions and stackPrefix in cdk.json context.gatehouse.\nNothing was changed.\n',
  );
});
