/**
 * Plugins: the contract, the built-in plugins, and the registry that checks their configs and
 * builds route chains. The data plane uses `createPluginRegistry(services)`:
 * `checker` goes to `validateConfig`, `factory` to the snapshot compiler.
 */
import type { PluginConfigChecker } from '../config/validate';
import type { PluginChainFactory } from '../data-plane/types';
import { BUILTIN_PLUGINS } from './builtin';
import type { PluginServices } from './plugin';
import { PluginCatalogue, PluginChainBuilder, type AnyPlugin } from './registry';

export interface PluginRegistry {
  readonly checker: PluginConfigChecker;
  readonly factory: PluginChainFactory;
  /** Names of the known plugins, sorted. */
  readonly names: readonly string[];
}

/** The registry of the built-in plugins (or `plugins`, for tests), sharing `services`. */
export function createPluginRegistry(services: PluginServices = {}, plugins: readonly AnyPlugin[] = BUILTIN_PLUGINS): PluginRegistry {
  const catalogue = new PluginCatalogue(plugins);
  return { checker: catalogue, factory: new PluginChainBuilder(catalogue, services), names: catalogue.names };
}

export { BUILTIN_PLUGINS } from './builtin';
export { createPluginServices, type ClosablePluginServices } from './services';
export { EMPTY_CHAIN, buildChain } from './chain';
export { IDENTITY_HEADERS, CONSUMER_ID_HEADER, CONSUMER_USERNAME_HEADER, CREDENTIAL_HEADER } from './identity';
export type { GatewayPlugin, PluginAnswer, PluginLogger, PluginServices, RequestContext } from './plugin';
export type { AnyPlugin } from './registry';
