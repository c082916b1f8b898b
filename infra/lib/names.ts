/**
 * Deterministic physical names. Regions never reference each other's resources through CloudFormation
 * (cross-region references are not supported), so whatever one region needs from another is named
 * here from account, region and stack prefix alone.
 */

/** The regional stack of the infra contract: `${stackPrefix}-${region}`. */
export const regionalStackName = (prefix: string, region: string): string => `${prefix}-${region}`;

/** The per-region foundation stack (backup bucket, released-image parameter), deployed first. */
export const baseStackName = (prefix: string, region: string): string => `${prefix}-${region}-base`;

const lower = (prefix: string): string => prefix.toLowerCase();

/** The region's backup bucket (globally unique through account and region). */
export const backupBucketName = (prefix: string, account: string, region: string): string =>
  `${lower(prefix)}-backup-${account}-${region}`;

/** The alias of the KMS key that encrypts a region's backup bucket. */
export const backupKeyAlias = (prefix: string): string => `alias/${lower(prefix)}-backup`;

/** The SSM String parameter holding the gateway image currently released in a region. */
export const imageParameterName = (prefix: string): string => `/${lower(prefix)}/gateway/image`;

/** The RDS identifier of the config database primary. */
export const databaseIdentifier = (prefix: string): string => `${lower(prefix)}-config`;

/** The RDS identifier of a region's cross-region read replica. */
export const replicaIdentifier = (prefix: string, region: string): string => `${lower(prefix)}-config-replica-${region}`;

/** The ARN of an RDS instance, built without a lookup (aws-cdk issue 12838: no cross-region references). */
export const databaseArn = (account: string, region: string, identifier: string): string =>
  `arn:aws:rds:${region}:${account}:db:${identifier}`;

/** The Secrets Manager secret with the database credentials, replicated to every secondary region. */
export const databaseSecretName = (prefix: string): string => `${prefix}/config-database/credentials`;

/** The Secrets Manager secret with the data planes' read-only database credentials, replicated like the owner's. */
export const databaseReaderSecretName = (prefix: string): string => `${prefix}/config-database/reader`;

/** The gateway's secrets key (GATEHOUSE_SECRETS_KEYS), made in the primary region and replicated under the same name. */
export const secretsKeyName = (prefix: string): string => `${prefix}/gateway/secrets-key`;

/** The gateway's ECR repository, the same name in every region. */
export const repositoryName = (prefix: string): string => `${lower(prefix)}/gateway`;

/** The URI of the gateway repository in a region (its registry is the account's, in that region). */
export const repositoryUri = (prefix: string, account: string, region: string): string =>
  `${account}.dkr.ecr.${region}.amazonaws.com/${repositoryName(prefix)}`;
