import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResource } from './acknowledge';

/** Properties of a {@link ReplicatedSecret}. */
export interface ReplicatedSecretProps {
  /** The name of the secret replicated into this region (the same name as its primary). */
  readonly secretName: string;
}

/**
 * A Secrets Manager secret replicated into this region from another one, named by its complete ARN.
 * ECS needs the complete ARN (with the 6-character suffix) to read a JSON key of a secret; a name
 * alone gives a partial ARN and the task fails with ResourceInitializationError (aws-cdk issues
 * 20744, 24142, 18555). The suffix is only known once the secret exists, so it is looked up at
 * deploy time (DescribeSecret in this region) instead of referenced across regions.
 */
export class ReplicatedSecret extends Construct {
  /** The secret, by its complete ARN. */
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ReplicatedSecretProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const describe: cr.AwsSdkCall = {
      service: 'SecretsManager',
      action: 'DescribeSecret',
      parameters: { SecretId: props.secretName },
      physicalResourceId: cr.PhysicalResourceId.of(props.secretName),
      outputPaths: ['ARN'],
    };
    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      onCreate: describe,
      onUpdate: describe,
      // The six characters Secrets Manager appends to the name are unknown until the secret exists.
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
        resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${props.secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
      installLatestAwsSdk: false,
    });
    acknowledgeAwsCustomResource(lookup);
    this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', lookup.getResponseField('ARN'));
  }
}
