import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeInvokeWildcards, BASIC_EXECUTION_ROLE_FINDING } from './acknowledge';

/** Where the token maker's plain CommonJS code lives. */
export const ADMIN_TOKEN_CODE_DIR = path.join(__dirname, '..', '..', 'lambda', 'admin-token');

/** Properties of an {@link AdminToken}. */
export interface AdminTokenProps {
  /**
   * Name of the secret holding `{ "token": "gh_…", "entry": "admin:<sha256>" }`.
   *
   * @default - generated
   */
  readonly secretName?: string;
  /**
   * What happens to the secret when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The control plane's first admin API token, made once at stack creation: the raw token for the
 * operator and its `admin:<sha256>` entry for GATEHOUSE_ADMIN_TOKENS, both in one Secrets Manager
 * secret. The control plane refuses to start without a token, so a fresh deployment needs one.
 */
export class AdminToken extends Construct {
  /** The secret (`token` for the operator, `entry` for the control plane). */
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: AdminTokenProps = {}) {
    super(scope, id);
    const fn = new lambda.Function(this, 'Maker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambda.Code.fromAsset(ADMIN_TOKEN_CODE_DIR),
      handler: 'index.onEvent',
      timeout: Duration.seconds(10),
      logGroup: new logs.LogGroup(this, 'MakerLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    const provider = new cr.Provider(this, 'Provider', { onEventHandler: fn });
    const made = new CustomResource(this, 'Resource', { serviceToken: provider.serviceToken, resourceType: 'Custom::GatehouseAdminToken' });
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: 'Gatehouse admin API token (token: for the operator; entry: GATEHOUSE_ADMIN_TOKENS)',
      secretObjectValue: {
        token: SecretValue.resourceAttribute(made.getAttString('Token')),
        entry: SecretValue.resourceAttribute(made.getAttString('Entry')),
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    Validations.of(this).acknowledge(
      { id: BASIC_EXECUTION_ROLE_FINDING, reason: 'The AWS managed basic execution policy only grants writing each function\'s own logs.' },
      { id: 'AwsSolutions-L1', reason: 'The provider framework function and its runtime are managed by aws-cdk-lib.' },
    );
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Admin tokens are rotated by adding a new entry and removing the old one (docs/ADMIN-API.md), not by Secrets Manager rotation.',
    });
    acknowledgeInvokeWildcards(
      this,
      [fn.node.defaultChild as lambda.CfnFunction, ...provider.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)],
      'The provider framework invokes its handler by ARN; the `:*` suffix only adds its versions and aliases.',
    );
  }

  /** GATEHOUSE_ADMIN_TOKENS for the control plane's container. */
  get entry(): ecs.Secret {
    return ecs.Secret.fromSecretsManager(this.secret, 'entry');
  }
}
