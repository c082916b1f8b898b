/** Secrets in the data plane: fields resolved to plaintext before each snapshot is compiled. */
export { SecretResolver, type SecretResolverOptions } from './resolver';
export { AwsSecrets, DEFAULT_SECRET_FETCH_TIMEOUT_MS, DEFAULT_SECRET_RETRY_MS, type AwsSecretsOptions } from './aws-secrets';
export { createSecretResolver, type SecretResolverSettings } from './factory';
