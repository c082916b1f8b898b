/**
 * Sends a bucket's object events to EventBridge (Control Tower CT.S3.PR.4), e.g. for a rule that
 * alerts on deletes. Set on the bucket itself: aws-cdk-lib's `eventBridgeEnabled` goes through a
 * notifications custom resource (a Lambda outside any VPC) and leaves the bucket's own property unset.
 */
import type * as s3 from 'aws-cdk-lib/aws-s3';

export function sendEventsToEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
}
