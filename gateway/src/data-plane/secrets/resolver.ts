/**
 * Turns every secret field of a validated config into its plaintext before the snapshot is
 * compiled: envelopes are decrypted, `$env://` and `$secret://aws/` references resolved, so plugins
 * (whose `prepare` is synchronous) only ever see plaintext and a new secret field needs no plugin
 * code. A field that cannot be resolved is removed, never emptied: the credential is absent and
 * auth refuses; an error names the field and the fix.
 */
import type { GatewayConfig } from '../../config/schema';
import { parseSecretValue, secretFields, type Keyring, type SecretField, type SlotSchemas } from '../../config/secrets';
import type { PluginLogger } from '../../plugins/contract';
import type { AwsSecrets } from './aws-secrets';

export interface SecretResolverOptions {
  readonly slots: SlotSchemas;
  /** Decrypts envelopes; without it every envelope is unresolvable. */
  readonly keyring?: Keyring;
  readonly aws: AwsSecrets;
  readonly env?: NodeJS.ProcessEnv;
  readonly log: PluginLogger;
}

type Resolved = { value: string } | { reason: string; fix: string };

export class SecretResolver {
  constructor(private readonly options: SecretResolverOptions) {}

  /** Called when a referenced value changed (AWS refresh): the running config should be compiled again. */
  onChange(listener: () => unknown): void {
    this.options.aws.onChange(listener);
  }

  /** Fetches referenced AWS secrets again now (the timer does this every refresh interval). */
  refresh(): Promise<void> {
    return this.options.aws.refresh();
  }

  /** A copy of `config` with secrets in plaintext (or `config` itself when it holds none). */
  async resolve(config: GatewayConfig): Promise<GatewayConfig> {
    const { slots, aws } = this.options;
    if (!secretFields(config, slots).length) {
      await aws.want([]);
      return config;
    }
    const copy = structuredClone(config);
    const fields = secretFields(copy, slots);
    const awsIds = new Set<string>();
    for (const f of fields) {
      const v = parseSecretValue(f.value);
      if (v.kind === 'aws') awsIds.add(v.secretId);
    }
    await aws.want([...awsIds]);
    for (const field of fields) this.settle(field, this.resolveOne(field.value));
    return copy;
  }

  close(): void {
    this.options.aws.close();
  }

  private settle(field: SecretField, resolved: Resolved): void {
    if ('value' in resolved && resolved.value !== '') return field.set(resolved.value);
    field.set(undefined);
    const reason = 'value' in resolved ? 'it resolves to an empty value' : resolved.reason;
    const fix = 'fix' in resolved ? resolved.fix : 'give the secret a value.';
    this.options.log.error({ field: field.pointer, reason, fix }, `secret ${field.pointer} cannot be resolved (${reason}): the credential is absent and auth refuses. Fix: ${fix}`);
  }

  private resolveOne(text: string): Resolved {
    const v = parseSecretValue(text);
    switch (v.kind) {
      case 'plaintext':
        return { value: v.value };
      case 'placeholder':
        return { reason: 'the config holds the read placeholder "(secret)", not a secret', fix: 'write the secret itself; only the admin API turns "(secret)" back into the stored value.' };
      case 'envelope': {
        const opened = this.options.keyring?.decrypt(text);
        if (opened?.ok) return { value: opened.value };
        return { reason: opened?.reason ?? 'this data plane has no secrets key', fix: 'set GATEHOUSE_SECRETS_KEYS on the data plane to the keys of the control plane (docs/RUNBOOK.md, "Secrets keys").' };
      }
      case 'env': {
        const value = (this.options.env ?? process.env)[v.name];
        return value ? { value } : { reason: `environment variable ${v.name} is not set or empty`, fix: `set ${v.name} on every data plane.` };
      }
      case 'aws': {
        const raw = this.options.aws.get(v.secretId);
        if (raw === undefined) return { reason: `AWS secret "${v.secretId}" could not be fetched and nothing is cached`, fix: 'check the secret name, the secretsmanager:GetSecretValue permission and the region (GATEHOUSE_SECRETS_AWS_REGION).' };
        if (v.jsonKey === undefined) return { value: raw };
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          return { reason: `AWS secret "${v.secretId}" is not JSON, so it has no key "${v.jsonKey}"`, fix: `store JSON in the secret, or drop "#${v.jsonKey}" to use the whole value.` };
        }
        const value = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[v.jsonKey] : undefined;
        return typeof value === 'string' ? { value } : { reason: `AWS secret "${v.secretId}" has no string at key "${v.jsonKey}"`, fix: `add "${v.jsonKey}" to the secret's JSON, or correct the reference.` };
      }
    }
  }
}
