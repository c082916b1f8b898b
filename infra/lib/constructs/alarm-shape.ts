/** What an alarm of the kit's own constructs says: threshold, periods to breach, direction, missing data, meaning. */
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

export interface AlarmShape {
  readonly threshold: number;
  /** Consecutive one-minute periods that must breach (evaluation periods = datapoints to alarm). */
  readonly periods: number;
  /** Alarm when the metric is below the threshold; default: at or above it. */
  readonly below?: boolean;
  /** @default NOT_BREACHING */
  readonly missing?: cloudwatch.TreatMissingData;
  readonly description: string;
}

/** The alarm for `metric` with `shape` (its actions are added later, by the alarm topic). */
export function alarmOf(scope: Construct, id: string, metric: cloudwatch.IMetric, shape: AlarmShape): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric,
    threshold: shape.threshold,
    evaluationPeriods: shape.periods,
    datapointsToAlarm: shape.periods,
    comparisonOperator: shape.below ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: shape.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    alarmDescription: shape.description,
  });
}
