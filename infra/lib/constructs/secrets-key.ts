import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Properties of a {@link SecretsKey}. */
export interface SecretsKeyProps {
  /** Name of the secret, the same in every region it is replicated to. */
  readonly secretName: string;
  /**
   * Regions the key is replicated to (where data planes decrypt the secrets of config versions).
   *
   * @default - none
   */
  readonly replicaRegions?: readonly string[];
}

/**
 * The gateway's secrets key: the AES-256 key that seals inline secrets of config versions in the store,
 * the last-known-good files and the S3 backups (GATEHOUSE_SECRETS_KEYS). Secrets Manager generates it
 * once as 43 letters and digits, which the gateway reads as a 32-byte base64 key with a key id derived
 * from the key. It is retained whatever the stack's removal policy: without it no stored secret can be
 * read again, while the backups that hold them may outlive the stack.
 */
export class SecretsKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretsKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: 'Gatehouse secrets key (GATEHOUSE_SECRETS_KEYS): encrypts inline secrets of config versions',
      // 43 characters of the base64 alphabet carry the 256 bits of an AES-256 key.
      generateSecretString: { passwordLength: 43, excludePunctuation: true, includeSpace: false, requireEachIncludedType: false },
      replicaRegions: (props.replicaRegions ?? []).map((region) => ({ region })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A new secrets key is rotated in by listing it before the old one and re-encrypting through the admin API (docs/RUNBOOK.md, "Secrets keys"), not by Secrets Manager rotation, which would make stored envelopes unreadable.',
    });
  }

  /** GATEHOUSE_SECRETS_KEYS for a container. */
  get setting(): ecs.Secret {
    return ecs.Secret.fromSecretsManager(this.secret);
  }
}
