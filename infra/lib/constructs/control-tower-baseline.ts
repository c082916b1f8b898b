/**
 * What AWS Control Tower's proactive controls ask of every resource of a kind, applied once per stack
 * by one walk of its tree at the end (like `AlarmTopic`), so that log groups and keys made by
 * aws-cdk-lib internals (provider frameworks, custom resources) are covered as well as the kit's own:
 *
 * - log groups: the profile's retention (CT.CLOUDWATCH.PR.2) and encryption with this stack's logs key
 *   (CT.CLOUDWATCH.PR.5);
 * - KMS keys: grants only for AWS services (CT.KMS.PR.3);
 * - Step Functions state machines (the provider framework's waiter): X-Ray tracing (CT.STEPFUNCTIONS.PR.2).
 */
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Properties of a {@link ControlTowerBaseline}. */
export interface ControlTowerBaselineProps {
  /**
   * Days every log group of the stack keeps its events.
   *
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * What happens to the logs key when the stack is deleted (kept log groups need it to be read).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The statement CT.KMS.PR.3 looks for: no grant on the key unless an AWS service makes it for an AWS resource. */
export function grantsOnlyForAwsServices(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GrantsOnlyForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
}

/** The logs key of a stack and the walk that brings its log groups, keys and state machines in line. */
export class ControlTowerBaseline extends Construct {
  private readonly retentionDays: number;
  private readonly removalPolicy: RemovalPolicy;
  private key?: kms.Key;

  constructor(scope: Construct, id: string, props: ControlTowerBaselineProps = {}) {
    super(scope, id);
    this.retentionDays = props.logRetentionDays ?? 365;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  }

  /** The key every log group of the stack is encrypted with, made with the first log group (a stack without one pays for no key). */
  get logsKey(): kms.Key {
    if (this.key) return this.key;
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'LogsKey', { enableKeyRotation: true, description: 'Gatehouse log groups', removalPolicy: this.removalPolicy });
    // CloudWatch Logs uses the key for this account's log groups in this region only (CloudWatch Logs
    // user guide, "Encrypt log data in CloudWatch Logs using AWS KMS": key policy).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
      }),
    );
    this.key.addToResourcePolicy(grantsOnlyForAwsServices());
    return this.key;
  }

  /** Applies the baseline to every log group, key and state machine under `scope` (call it last). */
  applyTo(scope: Construct): void {
    for (const node of scope.node.findAll()) {
      if (node instanceof logs.CfnLogGroup) {
        // The key is made on first use, after the walk listed the nodes: it gets its grant rule where it is made.
        node.retentionInDays = this.retentionDays;
        node.kmsKeyId = this.logsKey.keyArn;
      } else if (node instanceof kms.Key) {
        node.addToResourcePolicy(grantsOnlyForAwsServices());
      } else if (node instanceof sfn.CfnStateMachine) {
        node.tracingConfiguration = { enabled: true };
        // A traced state machine's role must be allowed to send to X-Ray (Step Functions developer guide, "AWS X-Ray and Step Functions").
        const role = node.node.scope?.node.tryFindChild('Role');
        if (role instanceof iam.Role) {
          role.addToPrincipalPolicy(
            new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], resources: ['*'] }),
          );
          Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'The X-Ray write actions have no resource-level permissions.' });
        }
      }
    }
  }
}
