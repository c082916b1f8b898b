import { Duration, Fn } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * One metric per node of a Redis replication group (cluster mode disabled). ElastiCache publishes
 * host and engine metrics per node, with the dimensions `CacheClusterId` and `CacheNodeId` (ElastiCache
 * user guide, "Metrics for self-designed clusters" and "Host-Level Metrics"); a replication group's
 * member clusters are named `<group id>-001`, `-002`, … and each holds the one node `0001`.
 */
export function cacheNodeMetrics(
  replicationGroupId: string,
  nodeCount: number,
  metricName: string,
  options: Pick<cloudwatch.MetricOptions, 'statistic' | 'period'> = {},
): cloudwatch.Metric[] {
  return Array.from({ length: nodeCount }, (_, i) => {
    const member = `-${String(i + 1).padStart(3, '0')}`;
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { CacheClusterId: Fn.join('', [replicationGroupId, member]), CacheNodeId: '0001' },
      period: options.period ?? Duration.minutes(1),
      statistic: options.statistic ?? 'Average',
      label: `${metricName} node ${i + 1}`,
    });
  });
}

/** An RDS instance metric (dimension `DBInstanceIdentifier`). */
export function databaseMetric(instanceIdentifier: string, metricName: string, options: Pick<cloudwatch.MetricOptions, 'statistic' | 'period'> = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/RDS',
    metricName,
    dimensionsMap: { DBInstanceIdentifier: instanceIdentifier },
    period: options.period ?? Duration.minutes(1),
    statistic: options.statistic ?? 'Average',
  });
}
