/** The one place a data plane's secret resolver is assembled (the roles pass settings; tests may pass a client). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SECRETS_REFRESH_MS, type Keyring } from '../../config/secrets';
import type { PluginConfigChecker } from '../../config/validate';
import type { PluginLogger } from '../../plugins/contract';
import { AwsSecrets } from './aws-secrets';
import { SecretResolver } from './resolver';

export interface SecretResolverSettings {
  /** Where secret fields are: the plugin catalogue. Without `slotSchema`, only document-level secret fields are found. */
  readonly checker?: PluginConfigChecker;
  readonly keyring?: Keyring;
  readonly refreshMs?: number;
  readonly region?: string;
  readonly endpoint?: string;
  /** Overrides the client built from region and endpoint (tests). */
  readonly client?: () => SecretsManagerClient;
  readonly env?: NodeJS.ProcessEnv;
  readonly log: PluginLogger;
}

export function createSecretResolver(s: SecretResolverSettings): SecretResolver {
  const checker = s.checker;
  const aws = new AwsSecrets({
    client: s.client ?? (() => new SecretsManagerClient({ ...(s.region ? { region: s.region } : {}), ...(s.endpoint ? { endpoint: s.endpoint } : {}) })),
    refreshMs: s.refreshMs ?? DEFAULT_SECRETS_REFRESH_MS,
    log: s.log,
  });
  return new SecretResolver({ slots: checker?.slotSchema ? checker.slotSchema.bind(checker) : () => undefined, keyring: s.keyring, aws, env: s.env, log: s.log });
}
