/**
 * The AWS behaviours the default deployment depends on, each as a template assertion naming the
 * document or issue it encodes (nothing here can reach AWS, so these stand in for a first deploy).
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGatehouse, loadDeploymentConfig } from '../../../infra/lib';
import { resourcesOf } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const config = loadDeploymentConfig(cdkJson.context.gatehouse);

type ContainerDefinition = { Name: string; Environment?: Array<{ Name: string; Value: unknown }>; Secrets?: Array<{ Name: string; ValueFrom: unknown }> };

function gatewayContainer(t: Template, name = 'gateway'): ContainerDefinition {
  for (const [, td] of resourcesOf(t, 'AWS::ECS::TaskDefinition')) {
    const container = (td.Properties?.ContainerDefinitions as ContainerDefinition[]).find((c) => c.Name === name);
    if (container) return container;
  }
  throw new Error(`no container ${name}`);
}
const envOf = (c: ContainerDefinition) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));

describe('the default deployment on a real account', () => {
  let primary: Template;
  let secondary: Template;

  beforeAll(() => {
    const app = new App({ context: { ...cdkJson.context } });
    const stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    primary = Template.fromStack(stacks.regional['us-east-1']);
    secondary = Template.fromStack(stacks.regional['us-west-2']);
  });

  // ECS reads a JSON key of a secret only by its complete ARN (aws-cdk issues 20744, 24142, 18555).
  test('a secondary region names the replicated database secret by its complete ARN, looked up in its own region', () => {
    const [lookupId] = resourcesOf(secondary, 'Custom::AWS').find(([, r]) => JSON.stringify(r.Properties).includes('DescribeSecret'))!;
    const secrets = gatewayContainer(secondary).Secrets!;
    for (const key of ['PGUSER', 'PGPASSWORD']) {
      const valueFrom = JSON.stringify(secrets.find((s) => s.Name === key)!.ValueFrom);
      expect(valueFrom).toContain(`"Fn::GetAtt":["${lookupId}","ARN"]`);
    }
    expect(JSON.stringify(secondary.toJSON())).not.toContain('secret:Gatehouse/config-database/credentials:');
  });

  // A hot standby refuses LISTEN (PostgreSQL docs, "Hot Standby": LISTEN is not allowed on a standby).
  test('secondary data planes poll only; the primary\'s also LISTEN', () => {
    expect(envOf(gatewayContainer(secondary)).GATEHOUSE_CONFIG_PUSH).toBe('false');
    expect(envOf(gatewayContainer(primary)).GATEHOUSE_CONFIG_PUSH).toBe('true');
  });

  // CloudFormation cannot update NetworkConfiguration or LoadBalancers of a CODE_DEPLOY service (AWS::ECS::Service reference).
  test('the data plane service waits for the guard of its network and load balancer settings', () => {
    for (const t of [primary, secondary]) {
      const [guardId, guard] = resourcesOf(t, 'Custom::GatehouseServiceShape')[0]!;
      expect(Object.keys((guard.Properties!.Shape as Record<string, unknown>)).sort()).toEqual(['LaunchType', 'LoadBalancers', 'NetworkConfiguration']);
      const service = resourcesOf(t, 'AWS::ECS::Service').find(([, r]) => JSON.stringify(r.Properties).includes('CODE_DEPLOY'))![1];
      expect(service.DependsOn).toContain(guardId);
    }
  });
});
