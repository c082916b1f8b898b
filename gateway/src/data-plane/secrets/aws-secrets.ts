/**
 * The values of AWS Secrets Manager secrets that `$secret://aws/<name>#<json-key>` references name:
 * fetched when a config first needs them, fetched again every refresh interval (a changed value is
 * reported, so the data plane recompiles with it), and kept when Secrets Manager cannot be reached.
 * A secret never fetched has no value: credentials referring to it are absent, and auth refuses.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PluginLogger } from '../../plugins/contract';

export const DEFAULT_SECRET_FETCH_TIMEOUT_MS = 5_000;
/** While a wanted secret has no value yet, it is tried again this soon (not only every refresh interval). */
export const DEFAULT_SECRET_RETRY_MS = 5_000;

export interface AwsSecretsOptions {
  /** Creates the client on first use, so a config without AWS references never builds one. */
  readonly client: () => SecretsManagerClient;
  readonly refreshMs: number;
  readonly retryMs?: number;
  readonly fetchTimeoutMs?: number;
  readonly log: PluginLogger;
}

export class AwsSecrets {
  private readonly values = new Map<string, string>();
  private wanted = new Set<string>();
  private readonly listeners: (() => unknown)[] = [];
  private clientInstance: SecretsManagerClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: AwsSecretsOptions) {}

  /** The SecretString of `secretId` as last fetched, or undefined when it never was. */
  get(secretId: string): string | undefined {
    return this.values.get(secretId);
  }

  /** Called after a refresh changed any value; a refresh waits for what the listener returns. */
  onChange(listener: () => unknown): void {
    this.listeners.push(listener);
  }

  /** Makes `secretIds` the secrets kept fresh, and fetches the ones not cached yet. */
  async want(secretIds: readonly string[]): Promise<void> {
    this.wanted = new Set(secretIds);
    await Promise.all(secretIds.filter((id) => !this.values.has(id)).map((id) => this.fetch(id)));
    this.schedule();
  }

  /** Fetches every wanted secret again; tells the listeners when a value changed. */
  async refresh(): Promise<void> {
    const before = new Map(this.values);
    await Promise.all([...this.wanted].map((id) => this.fetch(id)));
    this.schedule();
    if ([...this.wanted].some((id) => this.values.get(id) !== before.get(id))) await Promise.all(this.listeners.map((listener) => listener()));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.clientInstance?.destroy();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed || !this.wanted.size) return;
    const missing = [...this.wanted].some((id) => !this.values.has(id));
    const delay = missing ? Math.min(this.options.refreshMs, this.options.retryMs ?? DEFAULT_SECRET_RETRY_MS) : this.options.refreshMs;
    this.timer = setTimeout(() => void this.refresh(), delay);
    this.timer.unref();
  }

  private async fetch(secretId: string): Promise<void> {
    const { log } = this.options;
    try {
      this.clientInstance ??= this.options.client();
      const out = await this.clientInstance.send(new GetSecretValueCommand({ SecretId: secretId }), {
        abortSignal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? DEFAULT_SECRET_FETCH_TIMEOUT_MS),
      });
      if (typeof out.SecretString !== 'string') {
        log.error({ secretId }, `AWS secret "${secretId}" has no SecretString (binary secrets are not supported); store it as a string or JSON.`);
        return;
      }
      this.values.set(secretId, out.SecretString);
    } catch (err) {
      const cached = this.values.has(secretId);
      log[cached ? 'warn' : 'error'](
        { secretId, err: (err as Error).message },
        cached
          ? `AWS Secrets Manager: "${secretId}" could not be fetched again; keeping the cached value.`
          : `AWS Secrets Manager: "${secretId}" could not be fetched and nothing is cached: credentials referring to it are absent (auth refuses) until it can be. Check the secret name, the task role's secretsmanager:GetSecretValue permission and GATEHOUSE_SECRETS_AWS_REGION.`,
      );
    }
  }
}
