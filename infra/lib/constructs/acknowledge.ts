/**
 * Helpers for cdk-nag acknowledgements whose finding ids contain logical ids (computed here, so a
 * renamed construct cannot leave a stale acknowledgement behind).
 */
import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import type * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/** The nag finding id for a `<LogicalId.Arn>:*` resource wildcard. */
export function arnWildcardFinding(resource: CfnResource): string {
  return `AwsSolutions-IAM5[Resource::<${Stack.of(resource).getLogicalId(resource)}.Arn>:*]`;
}

/** Acknowledges the `<fn.Arn>:*` wildcards (invoking any version of a function) under `scope`. */
export function acknowledgeInvokeWildcards(scope: IConstruct, functions: readonly CfnResource[], reason: string): void {
  Validations.of(scope).acknowledge(...functions.map((fn) => ({ id: arnWildcardFinding(fn), reason })));
}

/** The AWS managed basic execution policy finding, acknowledged with one shared reason. */
export const BASIC_EXECUTION_ROLE_FINDING = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

/** The construct id aws-cdk-lib gives the AwsCustomResource singleton function. */
const AWS_CUSTOM_RESOURCE_SINGLETON_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** Acknowledges the findings of an AwsCustomResource and of its stack-wide singleton function. */
export function acknowledgeAwsCustomResource(resource: cr.AwsCustomResource): void {
  const singleton = Stack.of(resource).node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON_ID);
  for (const scope of singleton ? [resource, singleton] : [resource])
    Validations.of(scope).acknowledge(
      { id: BASIC_EXECUTION_ROLE_FINDING, reason: 'The AwsCustomResource function uses the AWS managed basic execution policy for its own logs only.' },
      { id: 'AwsSolutions-L1', reason: 'The AwsCustomResource function and its runtime are managed by aws-cdk-lib.' },
    );
}
