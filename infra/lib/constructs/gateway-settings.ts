/**
 * The gateway's settings as the kit hands them to a container: typed by the gateway's own settings
 * schema (`gateway/src/settings/schema.ts`) and named by its environment variables (`envName`), so a
 * renamed or retyped setting fails the kit's type check instead of a task at start-up, and no
 * construct writes an environment variable name by hand.
 */
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { envName, type GatehouseSettings } from '../../../gateway/src/settings/schema';

/** Settings given as values; strings may be CDK tokens (an endpoint, a CIDR block). */
export type GatewaySettings = { readonly [K in keyof GatehouseSettings]?: GatehouseSettings[K] };

/**
 * libpq's own variables, which node-postgres reads for the config store's credentials: they are not
 * Gatehouse settings (the URL carries no password), so their names are node-postgres's.
 */
const STORE_CREDENTIALS = { databaseUser: 'PGUSER', databasePassword: 'PGPASSWORD' } as const;

/** Settings (and the store's credentials) taken from Secrets Manager at task start. */
export type GatewaySecretSettings = { readonly [K in keyof GatehouseSettings | keyof typeof STORE_CREDENTIALS]?: ecs.Secret };

function variableOf(key: string): string {
  return key in STORE_CREDENTIALS ? STORE_CREDENTIALS[key as keyof typeof STORE_CREDENTIALS] : envName(key as keyof GatehouseSettings);
}

/** The container environment for `settings`: each value under its setting's variable, as the loader parses it. */
export function gatewayEnvironment(settings: GatewaySettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) env[variableOf(key)] = String(value);
  return env;
}

/** The container secrets for `secrets`, each under its setting's variable. */
export function gatewaySecrets(secrets: GatewaySecretSettings): Record<string, ecs.Secret> {
  const out: Record<string, ecs.Secret> = {};
  for (const [key, secret] of Object.entries(secrets)) if (secret) out[variableOf(key)] = secret;
  return out;
}
