/** A ConfigSink that validates like the data plane does and records every apply. */
import { validateConfig, type GatewayConfig } from '../../../gateway/src/config';
import type { ApplyResult, ConfigMeta, ConfigSink } from '../../../gateway/src/data-plane/types';

export class RecordingSink implements ConfigSink {
  readonly applied: { meta: ConfigMeta; document: GatewayConfig }[] = [];
  readonly refused: { meta: ConfigMeta; reason: string }[] = [];

  get currentVersion(): number | undefined {
    return this.applied.at(-1)?.meta.version;
  }

  get current(): { meta: ConfigMeta; document: GatewayConfig } | undefined {
    return this.applied.at(-1);
  }

  async apply(document: unknown, meta: ConfigMeta): Promise<ApplyResult> {
    const result = validateConfig(document);
    if (!result.ok) {
      this.refused.push({ meta, reason: 'invalid' });
      return { applied: false, reason: 'the config is invalid', problems: result.problems };
    }
    this.applied.push({ meta, document: result.value });
    return { applied: true, version: meta.version };
  }
}
