/**
 * The `SnapshotCompilation` the runtime uses: compiles configs into snapshots against one
 * `TargetRegistry`, activates each new snapshot's health checks, frees targets of retired snapshots
 * and closes everything at shutdown.
 */
import type { GatewayConfig } from '../../config/schema';
import type { SnapshotCompilation } from '../runtime';
import type { PluginChainFactory } from '../../plugins/contract';
import type { ValidatedParts } from '../../config/validate';
import type { Snapshot } from '../types';
import { TargetRegistry, type TargetRegistryOptions } from '../upstream/target-registry';
import { compileSnapshot, compileSnapshotInSlices, type SnapshotChanges, type SnapshotMeta } from './compile';

export class SnapshotCompiler implements SnapshotCompilation {
  /** The targets shared by every snapshot this compiler builds (metrics read `targets.targets()`). */
  readonly targets: TargetRegistry;

  constructor(options: TargetRegistryOptions | { readonly targets: TargetRegistry } = {}) {
    this.targets = 'targets' in options ? options.targets : new TargetRegistry(options);
  }

  /** Compiles and activates: the runtime swaps the result in right away. Throws GW_ERR_CONFIG_INVALID. */
  compile(config: GatewayConfig, meta: SnapshotMeta, plugins: PluginChainFactory | undefined, validated?: ValidatedParts): Snapshot {
    const snapshot = compileSnapshot(config, meta, { targets: this.targets, plugins, routePlans: validated?.routePlans, pluginsCheckedBy: validated?.pluginsCheckedBy });
    this.targets.activate(snapshot);
    return snapshot;
  }

  /** The same in slices that yield the event loop; unchanged routes of `previous` keep their plugin chains, and with `routeChanges` its router is updated instead of rebuilt. */
  async compileInSlices(config: GatewayConfig, meta: SnapshotMeta, plugins: PluginChainFactory | undefined, validated?: ValidatedParts, previous?: Snapshot, changes: SnapshotChanges = {}): Promise<Snapshot> {
    const snapshot = await compileSnapshotInSlices(config, meta, { targets: this.targets, plugins, routePlans: validated?.routePlans, pluginsCheckedBy: validated?.pluginsCheckedBy, previous, ...changes });
    this.targets.activate(snapshot);
    return snapshot;
  }

  release(retired: Snapshot, live: readonly Snapshot[]): void {
    this.targets.release(retired, live);
  }

  close(): Promise<void> {
    return this.targets.closeAll();
  }
}
