import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AuroraGatewayStack } from '../../../infra/examples/custom-topology';
import { OUTPUT_KEYS } from '../../../infra/release/targets';

describe('README "Extend the stacks" examples', () => {
  let t: Template;

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new AuroraGatewayStack(app, 'AuroraGateway', {
      env: { account: '111111111111', region: 'eu-west-1' },
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/gatehouse:1'),
      imageParameterName: '/gatehouse/gateway/image',
      initialConfig: '{"routes":[]}',
      backupBucketName: 'aurora-gatehouse-backup-111111111111-eu-west-1',
    });
    t = Template.fromStack(stack);
  });

  test('swapping the database: Aurora Serverless v2 feeds DATABASE_URL, the rest is the kit', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 } });
    t.resourceCountIs('AWS::RDS::DBInstance', 2);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Secrets: Match.arrayWith([Match.objectLike({ Name: 'PGPASSWORD' }), Match.objectLike({ Name: 'REDIS_URL' })]) })],
    });
    t.resourceCountIs('Custom::GatehouseServiceRollout', 1);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' });
  });

  test('adding WAF: a regional web ACL with AWS managed rules on the public load balancer', () => {
    t.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', Rules: [Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }), Match.anyValue()] });
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: Match.stringLikeRegexp('^LoadBalancer') } });
  });

  test('every alarm of the example pages its alarm topic', () => {
    const [[topic]] = Object.entries(t.findResources('AWS::SNS::Topic'));
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  });

  test('zones come from props, in the stack\'s region', () => {
    const zones = new Set(Object.values(t.findResources('AWS::EC2::Subnet')).map((s) => (s as { Properties: { AvailabilityZone: string } }).Properties.AvailabilityZone));
    expect([...zones].sort()).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  // Without a control plane nothing writes a first config, and without the outputs the release command cannot find the stack.
  test('a complete region: control plane with the initial config, the S3 backup, and the release contract outputs', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'control-plane' }), Match.objectLike({ Name: 'initial-config' })]),
    });
    t.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'aurora-gatehouse-backup-111111111111-eu-west-1' });
    const outputs = Object.keys(t.toJSON().Outputs as object);
    for (const key of [...Object.values(OUTPUT_KEYS)]) expect(outputs).toContain(key);
    t.resourceCountIs('Custom::GatehouseServiceShape', 1);
  });
});
