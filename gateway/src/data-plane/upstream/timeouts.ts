/** Timeout resolution: a route's value wins over its upstream's, which wins over the defaults. */
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type TimeoutsConfig,
} from '../../config/schema';
import type { ResolvedTimeouts } from '../types';

/** Resolves every timeout from the most specific config that sets it. */
export function resolveTimeouts(...layers: ReadonlyArray<TimeoutsConfig | undefined>): ResolvedTimeouts {
  const pick = (name: keyof TimeoutsConfig, fallback: number): number => {
    for (const layer of layers) {
      const v = layer?.[name];
      if (v !== undefined) return v;
    }
    return fallback;
  };
  return {
    connectMs: pick('connectMs', DEFAULT_CONNECT_TIMEOUT_MS),
    requestMs: pick('requestMs', DEFAULT_REQUEST_TIMEOUT_MS),
    idleMs: pick('idleMs', DEFAULT_IDLE_TIMEOUT_MS),
  };
}
