/** The plugin chain of a route without plugins: `empty` lets the hot path skip every phase. */
import type { PluginChain } from '../types';

const nothing = (): void => undefined;

/** Used for every route when the snapshot is compiled without a plugin factory. */
export const EMPTY_PLUGIN_CHAIN: PluginChain = Object.freeze({
  empty: true,
  rewrite: nothing,
  access: nothing,
  responseHeaders: nothing,
  log: nothing,
});
