import { appSpecContent, buildAppSpec, taskDefinitionOfAppSpec } from '../../../infra/release/appspec';
import { snapshotOf } from '../../../infra/release/deploy';
import { parseImageRequest, repositoryOf, resolveImage } from '../../../infra/release/image';
import { parseTaskDefinitionArn } from '../../../infra/release/previous-task-definition';
import { planWaves } from '../../../infra/release/waves';
import { ecsTarget } from './fake-aws';

const SPEC_INPUT = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/gatehouse-gateway:13',
  containerName: 'gateway',
  containerPort: 8080,
  smokeTestFunctionName: 'gh-smoke-test',
};

describe('AppSpec', () => {
  test('is the ECS AppSpec with the task definition, container, port and the AfterAllowTestTraffic hook', () => {
    expect(buildAppSpec(SPEC_INPUT)).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/gatehouse-gateway:13',
              LoadBalancerInfo: { ContainerName: 'gateway', ContainerPort: 8080 },
            },
          },
        },
      ],
      Hooks: [{ AfterAllowTestTraffic: 'gh-smoke-test' }],
    });
  });

  test('reads back the task definition from JSON and from a YAML AppSpec written by another tool', () => {
    expect(taskDefinitionOfAppSpec(appSpecContent(SPEC_INPUT))).toBe(SPEC_INPUT.taskDefinitionArn);
    expect(taskDefinitionOfAppSpec('version: 0.0\nResources:\n  - TargetService:\n      Properties:\n        TaskDefinition: "arn:x:task-definition/a:3"\n')).toBe('arn:x:task-definition/a:3');
    expect(taskDefinitionOfAppSpec(undefined)).toBeUndefined();
  });
});

describe('image references', () => {
  test.each([
    ['1.4.0', { kind: 'tag', tag: '1.4.0' }],
    ['gatehouse', { kind: 'tag', tag: 'gatehouse' }],
    [`sha256:${'0'.repeat(64)}`, { kind: 'digest', digest: `sha256:${'0'.repeat(64)}` }],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.4.0', { kind: 'uri', uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.4.0' }],
    ['registry.local:5000/team/gatehouse:1.4.0', { kind: 'uri', uri: 'registry.local:5000/team/gatehouse:1.4.0' }],
    ['nginx:1.27', { kind: 'uri', uri: 'nginx:1.27' }],
  ])('%s is read as %j', (value, expected) => {
    expect(parseImageRequest(value)).toEqual(expected);
  });

  test('a registry port is not mistaken for a tag', () => {
    expect(() => parseImageRequest('registry.local:5000/team/gatehouse')).toThrow('--image: "registry.local:5000/team/gatehouse" has no tag or digest.');
    expect(repositoryOf('registry.local:5000/team/gatehouse:1.3.0')).toBe('registry.local:5000/team/gatehouse');
    expect(repositoryOf(`repo/gatehouse@sha256:${'1'.repeat(64)}`)).toBe('repo/gatehouse');
  });

  test('a tag or digest replaces the tag or digest of the running image', () => {
    const running = `123456789012.dkr.ecr.us-west-2.amazonaws.com/gatehouse@sha256:${'1'.repeat(64)}`;
    expect(resolveImage({ kind: 'tag', tag: '2.0.0' }, running)).toBe('123456789012.dkr.ecr.us-west-2.amazonaws.com/gatehouse:2.0.0');
    expect(resolveImage({ kind: 'digest', digest: `sha256:${'2'.repeat(64)}` }, 'repo/gatehouse:1.0')).toBe(`repo/gatehouse@sha256:${'2'.repeat(64)}`);
  });
});

describe('waves', () => {
  const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'];

  test.each([
    ['1,rest', [['us-east-1'], ['us-west-2', 'eu-west-1', 'ap-south-1']]],
    ['1,1,rest', [['us-east-1'], ['us-west-2'], ['eu-west-1', 'ap-south-1']]],
    ['all', [regions]],
    ['rest', [regions]],
    ['2,2', [['us-east-1', 'us-west-2'], ['eu-west-1', 'ap-south-1']]],
    ['1,5', [['us-east-1'], ['us-west-2', 'eu-west-1', 'ap-south-1']]],
  ])('"%s" gives %j', (spec, expected) => {
    expect(planWaves(regions, spec)).toEqual(expected);
  });

  test('one region is one wave whatever the spec', () => {
    expect(planWaves(['us-east-1'])).toEqual([['us-east-1']]);
    expect(planWaves(['us-east-1'], '1,1,rest')).toEqual([['us-east-1']]);
  });
});

test('task definition ARNs give their family and revision', () => {
  expect(parseTaskDefinitionArn('arn:aws:ecs:us-east-1:123456789012:task-definition/gatehouse-gateway:13')).toEqual({ family: 'gatehouse-gateway', revision: 13 });
  expect(parseTaskDefinitionArn('gatehouse-gateway')).toBeUndefined();
});

describe('deployment snapshot', () => {
  test('names the running hook, the traffic on green and its healthy tasks', () => {
    expect(snapshotOf('d-1', 'InProgress', ecsTarget('us-east-1', 'AllowTraffic', 40, 3))).toEqual({
      deploymentId: 'd-1',
      status: 'InProgress',
      phase: 'AllowTraffic',
      trafficPercent: 40,
      healthyTasks: 3,
      desiredTasks: 2,
    });
  });

  test('after the last hook, an unfinished deployment is in its termination wait', () => {
    expect(snapshotOf('d-1', 'InProgress', ecsTarget('us-east-1', 'done', 100, 2)).phase).toBe('traffic shifted; keeping the original task set for the termination wait');
  });

  test('before any target is known the phase is the deployment status', () => {
    expect(snapshotOf('d-1', 'Created', undefined)).toEqual({ deploymentId: 'd-1', status: 'Created', phase: 'Created', trafficPercent: 0, healthyTasks: 0, desiredTasks: 0 });
  });
});
