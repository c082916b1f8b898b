import { setTimeout as sleepFor } from 'node:timers/promises';

import type { ClientFactory } from './clients';
import type { ReleaseConfig } from './deployment-config';
import { DEFAULT_DEPLOYMENT_TIMEOUT_MS, DEFAULT_POLL_INTERVAL_MS, type WaitOptions } from './deploy';
import type { TextSink } from './progress';

/** What every sub-command runs with: the deployment config, clients per region, output and timing. */
export interface CommandContext {
  readonly config: ReleaseConfig;
  readonly clients: ClientFactory;
  readonly out: TextSink;
  readonly timing: Omit<WaitOptions, 'onUpdate'>;
}

/** Timing for real runs; a sleep that ends early (without throwing) when the signal aborts. */
export function defaultTiming(signal?: AbortSignal): Omit<WaitOptions, 'onUpdate'> {
  return {
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    timeoutMs: DEFAULT_DEPLOYMENT_TIMEOUT_MS,
    now: () => Date.now(),
    sleep: async (ms, s) => {
      await sleepFor(ms, undefined, s ? { signal: s } : {}).catch(() => undefined);
    },
    ...(signal ? { signal } : {}),
  };
}

/** A link an operator can open when a deployment needs a closer look. */
export function consoleUrl(region: string, deploymentId: string): string {
  return `https://${region}.console.aws.amazon.com/codesuite/codedeploy/deployments/${deploymentId}?region=${region}`;
}
