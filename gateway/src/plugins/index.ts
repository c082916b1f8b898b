/**
 * Plugins: the contract, the built-in plugins, and the registry that checks their configs and
 * builds route chains. The data plane uses `createPluginRegistry(services)`:
 * `checker` goes to `validateConfig`, `factory` to the snapshot compiler.
 */
import { BUILTIN_PLUGINS } from './builtin';
import type { PluginRegistry, PluginServices } from './contract';
import { PluginCatalogue, PluginChainBuilder, type AnyPlugin } from './registry';

/** The registry of the built-in plugins (or `plugins`, for tests), sharing `services`. */
export function createPluginRegistry(services: PluginServices = {}, plugins: readonly AnyPlugin[] = BUILTIN_PLUGINS): PluginRegistry {
  const catalogue = new PluginCatalogue(plugins);
  return { checker: catalogue, factory: new PluginChainBuilder(catalogue, services), names: catalogue.names };
}

export { BUILTIN_PLUGINS } from './builtin';
export { createPluginServices, type ClosablePluginServices } from './services';
export { buildChain } from './chain';
export { EMPTY_CHAIN, IDENTITY_HEADERS, CONSUMER_ID_HEADER, CONSUMER_USERNAME_HEADER, CREDENTIAL_HEADER } from './contract';
export type { GatewayPlugin, PluginAnswer, PluginLogger, PluginRegistry, PluginServices, RequestContext } from './contract';
export type { AnyPlugin } from './registry';
