import { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /**
   * Addresses that receive every alarm and recovery by email (each confirms its subscription once).
   *
   * @default - none: subscribe a pager or chat integration to the topic yourself
   */
  readonly emails?: readonly string[];
  /**
   * What happens to the topic's key when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where a region's alarms page: an SNS topic encrypted with its own KMS key (rotated), TLS only,
 * with the configured email subscriptions. `notifyFromEveryAlarmIn(scope)` makes the topic the alarm
 * and OK action of every CloudWatch alarm in that scope.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  readonly topic: sns.Topic;
  /** The topic's key. */
  readonly key: kms.Key;
  private readonly notified = new WeakSet<cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    const emails = props.emails ?? [];
    const repeated = emails.find((e, i) => emails.indexOf(e) !== i);
    if (repeated) throw new Error(`AlarmTopic: the email "${repeated}" is given twice; list each address once.`);
    this.key = new kms.Key(this, 'Key', {
      description: 'Gatehouse alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it (SNS developer guide,
    // "Configure AWS KMS permissions for AWS services" / encrypted topics and event sources).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Gatehouse alarms', masterKey: this.key, enforceSSL: true });
    for (const email of emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
  }

  /**
   * Makes this topic the alarm and OK action of every CloudWatch alarm in `scope` so far (but the
   * `signalOnly` ones): call it
   * after the scope's alarms are made. (A tree walk, not an aspect: an aspect on a whole stack makes
   * every synthesis of it several seconds slower.)
   */
  notifyFromEveryAlarmIn(scope: IConstruct): void {
    const action = new actions.SnsAction(this.topic);
    for (const node of scope.node.findAll()) {
      if (!(node instanceof cloudwatch.Alarm) || this.notified.has(node) || SIGNALS.has(node)) continue;
      this.notified.add(node);
      node.addAlarmAction(action);
      node.addOkAction(action);
    }
  }
}

/** Alarms that feed a machine, not a person. */
const SIGNALS = new WeakSet<cloudwatch.Alarm>();

/**
 * Marks an alarm as a signal for another service (a Route 53 health check), never paged: its state
 * is expected to flip with every release (the idle target group is empty), and what it means for
 * people is paged by an alarm of its own (healthy tasks below the minimum).
 */
export function signalOnly<T extends cloudwatch.Alarm>(alarm: T): T {
  SIGNALS.add(alarm);
  return alarm;
}
