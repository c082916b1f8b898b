/**
 * The one credential index of a config document (`ConsumerIndex`): for each auth plugin, its
 * consumers' credentials (key hash, username, JWT subject) → what the plugin indexed, built once
 * per document and shared by every route's chain. A change set updates it for the consumers it
 * removed and put only, copy-on-write, so the index of a snapshot still serving requests is never
 * changed. Credentials are unique per plugin (validation rejects duplicates); on an unvalidated
 * document the first consumer with a credential keeps it, as before.
 */
import { PersistentMap } from '../core/persistent-map';
import type { ConsumerConfig } from '../config/schema';
import type { ConsumerIndex } from './contract';
import type { PluginCatalogue } from './registry';

interface Indexed {
  readonly consumer: ConsumerConfig;
  readonly entry: unknown;
}

export class CredentialIndex implements ConsumerIndex {
  private constructor(
    private readonly catalogue: PluginCatalogue,
    private readonly byPlugin: ReadonlyMap<string, PersistentMap<Indexed>>,
  ) {}

  /** The index of every consumer of a document, pausing after each consumer (compiled in slices). */
  static *build(catalogue: PluginCatalogue, consumers: readonly ConsumerConfig[]): Generator<void, CredentialIndex> {
    const staged = new Map<string, Map<string, Indexed>>();
    for (const consumer of consumers) {
      for (const [plugin, credential, entry] of credentialsOf(catalogue, consumer)) {
        let map = staged.get(plugin);
        if (!map) staged.set(plugin, (map = new Map()));
        if (!map.has(credential)) map.set(credential, { consumer, entry });
      }
      yield;
    }
    const byPlugin = new Map<string, PersistentMap<Indexed>>();
    for (const [plugin, map] of staged) byPlugin.set(plugin, PersistentMap.from(map));
    return new CredentialIndex(catalogue, byPlugin);
  }

  find(plugin: string, credential: string): unknown {
    return this.byPlugin.get(plugin)?.get(credential)?.entry;
  }

  /** A new index without the credentials of `removed` and with those of `added`; this one is unchanged. */
  withChanges(removed: readonly ConsumerConfig[], added: readonly ConsumerConfig[]): CredentialIndex {
    const byPlugin = new Map(this.byPlugin);
    for (const consumer of removed)
      for (const [plugin, credential] of credentialsOf(this.catalogue, consumer)) {
        const map = byPlugin.get(plugin);
        if (map?.get(credential)?.consumer === consumer) byPlugin.set(plugin, map.delete(credential));
      }
    for (const consumer of added)
      for (const [plugin, credential, entry] of credentialsOf(this.catalogue, consumer)) {
        const map = byPlugin.get(plugin) ?? PersistentMap.empty<Indexed>();
        if (!map.get(credential)) byPlugin.set(plugin, map.set(credential, { consumer, entry }));
      }
    return new CredentialIndex(this.catalogue, byPlugin);
  }

  /** True when this index was built with `catalogue`, so an update may start from it. */
  sameCatalogue(catalogue: PluginCatalogue): boolean {
    return this.catalogue === catalogue;
  }
}

function* credentialsOf(catalogue: PluginCatalogue, consumer: ConsumerConfig): Generator<[plugin: string, credential: string, entry: unknown]> {
  for (const [name, slot] of Object.entries(consumer.plugins ?? {})) {
    const plugin = catalogue.get(name);
    const credential = plugin?.credentialOf?.(slot);
    if (credential === undefined) continue;
    const entry = plugin!.indexEntry ? plugin!.indexEntry(slot, consumer) : consumer;
    if (entry !== undefined) yield [name, credential, entry];
  }
}
