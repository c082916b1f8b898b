/** AlarmTopic and RegionAlarms: where alarms page, and what pages. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmTopic, ALARM_THRESHOLDS, NetworkFoundation, PublicLoadBalancer, RegionAlarms } from '../../../infra/lib';
import { resourcesOf, testStack, zonesOf } from './helpers';

type Alarm = { Properties?: Record<string, unknown> };
const alarmNamed = (t: Template, id: string): Alarm => resourcesOf(t, 'AWS::CloudWatch::Alarm').find(([logicalId]) => logicalId.startsWith(id))![1];
const metricsOf = (alarm: Alarm) => (alarm.Properties!.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Name: string }> } } }>).filter((m) => m.MetricStat);

describe('AlarmTopic and RegionAlarms', () => {
  let primary: Template;
  let secondary: Template;

  beforeAll(() => {
    const build = (region: string, role: 'primary' | 'replica') => {
      const s = testStack(`Alarms-${region}`, region);
      const net = new NetworkFoundation(s, 'Network', { availabilityZones: zonesOf(region) });
      const edge = new PublicLoadBalancer(s, 'Edge', { vpc: net.vpc });
      const alarms = new RegionAlarms(s, 'Alarms', {
        loadBalancer: edge.loadBalancer,
        targetGroups: [edge.blueTargetGroup, edge.greenTargetGroup],
        minHealthyTasks: 3,
        cacheReplicationGroupId: 'gatehouse-cache',
        cacheNodeCount: 3,
        ...(role === 'primary' ? { database: { instanceIdentifier: 'gatehouse-config', allocatedStorageGiB: 100 } } : { replicaInstanceIdentifier: 'gatehouse-config-replica' }),
      });
      new cloudwatch.Alarm(s, 'Other', { metric: alarms.alarms[0].metric, threshold: 1, evaluationPeriods: 1 });
      new AlarmTopic(s, 'Topic', { emails: ['oncall@example.com', 'ops@example.com'] }).notifyFromEveryAlarmIn(s);
      return Template.fromStack(s);
    };
    primary = build('us-east-1', 'primary');
    secondary = build('us-west-2', 'replica');
  });

  test('the topic is encrypted with a rotated key of its own and refuses plain HTTP', () => {
    primary.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }) });
    primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    primary.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  // CloudWatch alarms publish to a KMS-encrypted topic only when the key policy lets cloudwatch.amazonaws.com use the
  // key (Amazon SNS developer guide, "Configure AWS KMS permissions for AWS services").
  test('the key lets CloudWatch publish to the encrypted topic', () => {
    primary.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('one email subscription per configured address', () => {
    primary.resourceCountIs('AWS::SNS::Subscription', 2);
    primary.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  test('every alarm in the scope, also one made outside RegionAlarms, pages on ALARM and on OK', () => {
    const all = resourcesOf(primary, 'AWS::CloudWatch::Alarm');
    const [[topic]] = resourcesOf(primary, 'AWS::SNS::Topic');
    expect(all.length).toBe(9);
    for (const [, alarm] of all) {
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties!.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  test('the topic refuses an address given twice', () => {
    expect(() => new AlarmTopic(testStack(), 'T', { emails: ['a@example.com', 'a@example.com'] })).toThrow('AlarmTopic: the email "a@example.com" is given twice; list each address once.');
  });

  // HTTPCode_ELB_5XX_Count counts answers of the load balancer itself; RequestCount leaves out requests rejected
  // before a target is chosen (Elastic Load Balancing user guide, "CloudWatch metrics for your Application Load Balancer").
  test('load balancer 5xx page as a count per minute', () => {
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Threshold: ALARM_THRESHOLDS.elb5xxPerMinute,
      EvaluationPeriods: 3,
    });
  });

  test('fewer healthy targets (blue and green together) than the minimum task count pages, and so does no data', () => {
    const alarm = alarmNamed(primary, 'AlarmsHealthyHostsBelowMinimum');
    expect(alarm.Properties).toMatchObject({ Threshold: 3, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    expect(metricsOf(alarm).map((m) => m.MetricStat!.Metric.MetricName)).toEqual(['HealthyHostCount', 'HealthyHostCount']);
  });

  // ElastiCache publishes Redis host and engine metrics per node, dimensions CacheClusterId and CacheNodeId
  // (ElastiCache user guide, "Metrics for self-designed clusters", "Host-Level Metrics", "Metrics for Valkey and Redis OSS").
  test('Redis alarms watch every node by CacheClusterId and CacheNodeId', () => {
    for (const [id, metricName] of [
      ['AlarmsCacheEngineCpu', 'EngineCPUUtilization'],
      ['AlarmsCacheMemory', 'DatabaseMemoryUsagePercentage'],
      ['AlarmsCacheEvictions', 'Evictions'],
      ['AlarmsCacheReplicationLag', 'ReplicationLag'],
    ]) {
      const metrics = metricsOf(alarmNamed(primary, id));
      expect(metrics).toHaveLength(3);
      for (const m of metrics) {
        expect(m.MetricStat!.Metric.MetricName).toBe(metricName);
        expect(m.MetricStat!.Metric.Dimensions.map((d) => d.Name).sort()).toEqual(['CacheClusterId', 'CacheNodeId']);
      }
    }
    expect(JSON.stringify(metricsOf(alarmNamed(primary, 'AlarmsCacheEngineCpu')))).toContain('gatehouse-cache-003');
  });

  test('the primary pages on database CPU and on free storage below a tenth of the allocated storage', () => {
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CPUUtilization', Namespace: 'AWS/RDS', Threshold: 80, Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'gatehouse-config' }] });
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', Threshold: 10 * 2 ** 30, ComparisonOperator: 'LessThanThreshold' });
    primary.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ReplicaLag' }, 0);
  });

  test('a secondary pages on replica lag (and on a replica that reports none), not on the primary\'s metrics', () => {
    secondary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'gatehouse-config-replica' }],
      Threshold: ALARM_THRESHOLDS.replicaLagSeconds,
      TreatMissingData: 'breaching',
    });
    secondary.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace' }, 0);
  });

  test('conflicting props are refused', () => {
    const s = testStack('Conflicts');
    const edge = new PublicLoadBalancer(s, 'Edge', { vpc: new NetworkFoundation(s, 'Network', { availabilityZones: zonesOf('us-east-1') }).vpc });
    const base = { loadBalancer: edge.loadBalancer, targetGroups: [edge.blueTargetGroup] };
    expect(() => new RegionAlarms(s, 'A', { ...base, minHealthyTasks: 0 })).toThrow('RegionAlarms: minHealthyTasks must be a positive integer, got 0.');
    expect(() => new RegionAlarms(s, 'B', { ...base, minHealthyTasks: 2, database: { instanceIdentifier: 'a', allocatedStorageGiB: 20 }, replicaInstanceIdentifier: 'b' })).toThrow(
      'RegionAlarms: a region has either the database primary or a read replica; give database or replicaInstanceIdentifier, not both.',
    );
  });
});
