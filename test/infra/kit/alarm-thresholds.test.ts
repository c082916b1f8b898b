import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALARM_THRESHOLDS, buildGatehouse, GATEWAY_ALARM_THRESHOLDS } from '../../../infra/lib';
import { AlarmThresholdsSchema, DEFAULT_ALARM_THRESHOLDS, DeploymentConfigError, loadDeploymentConfig } from '../../../infra/lib/config';
import { resourcesOf } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const MINIMAL = { account: '123456789012', primaryRegion: 'us-east-1', secondaryRegions: ['us-west-2'] };

const alarm = (t: Template, idPrefix: string) => resourcesOf(t, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith(idPrefix))![1].Properties!;

describe('alarm thresholds in the deployment config', () => {
  test('the config names exactly the constructs\' thresholds, and their defaults are the constructs\'', () => {
    const constructs = [...Object.keys(ALARM_THRESHOLDS), ...Object.keys(GATEWAY_ALARM_THRESHOLDS)].sort();
    expect(Object.keys(AlarmThresholdsSchema.properties).sort()).toEqual(constructs);
    expect(new Set(constructs).size).toBe(constructs.length);
    expect(loadDeploymentConfig(MINIMAL).alarmThresholds).toEqual({ ...ALARM_THRESHOLDS, ...GATEWAY_ALARM_THRESHOLDS });
    expect(DEFAULT_ALARM_THRESHOLDS).toEqual({ ...ALARM_THRESHOLDS, ...GATEWAY_ALARM_THRESHOLDS });
  });

  test('docs/DEPLOY.md lists every threshold with its default', () => {
    const deploy = fs.readFileSync(path.join(ROOT, 'docs', 'DEPLOY.md'), 'utf8');
    for (const [name, value] of Object.entries(DEFAULT_ALARM_THRESHOLDS)) expect(deploy).toContain(`\`${name}\` (${value}`);
  });

  test('a value given wins; the others keep their defaults', () => {
    const t = loadDeploymentConfig({ ...MINIMAL, alarmThresholds: { p99LatencySeconds: 0.5, replicaLagSeconds: 120 } }).alarmThresholds;
    expect(t).toEqual({ ...DEFAULT_ALARM_THRESHOLDS, p99LatencySeconds: 0.5, replicaLagSeconds: 120 });
  });

  test('an unknown name, a ratio above 1 and a day-long evaluation are refused with their paths', () => {
    let problems: Array<{ path: string }> = [];
    try {
      loadDeploymentConfig({ ...MINIMAL, alarmThresholds: { p99: 1, serverErrorRatio: 5, fallbackSourceMinutes: 1441 } });
    } catch (err) {
      problems = [...(err as DeploymentConfigError).problems];
    }
    expect(problems.map((p) => p.path).sort()).toEqual(['/alarmThresholds', '/alarmThresholds/fallbackSourceMinutes', '/alarmThresholds/serverErrorRatio']);
  });

  test('the regional stacks build their alarms with the config\'s thresholds', () => {
    const config = loadDeploymentConfig({ ...MINIMAL, alarmThresholds: { elb5xxPerMinute: 25, replicaLagSeconds: 120, fallbackSourceMinutes: 20, p99LatencySeconds: 1.5 } });
    const app = new App({ context: JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context });
    const stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    const primary = Template.fromStack(stacks.regional['us-east-1']);
    const secondary = Template.fromStack(stacks.regional['us-west-2']);
    expect(alarm(primary, 'AlarmsElb5xx').Threshold).toBe(25);
    expect(alarm(secondary, 'AlarmsReplicaLag').Threshold).toBe(120);
    expect(alarm(primary, 'GatewayAlarmsServingFromFallback')).toMatchObject({ EvaluationPeriods: 20, DatapointsToAlarm: 20 });
    expect(alarm(primary, 'GatewayAlarmsP99Latency').Threshold).toBe(1.5);
    // One left out keeps its default.
    expect(alarm(primary, 'AlarmsCacheMemory').Threshold).toBe(ALARM_THRESHOLDS.cacheMemoryPercent);
  });
});
