/**
 * Helpers for cdk-nag acknowledgements whose finding ids contain logical ids (computed here, so a
 * renamed construct cannot leave a stale acknowledgement behind).
 */
import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
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
