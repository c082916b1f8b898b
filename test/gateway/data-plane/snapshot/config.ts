/** Test helpers: validated configs, and snapshots compiled against a registry the test closes. */
import { validateConfig, type GatewayConfig } from '../../../../gateway/src/config';
import { formatProblems } from '../../../../gateway/src/core/errors';
import { compileSnapshot } from '../../../../gateway/src/data-plane/snapshot';
import type { PluginChainFactory } from '../../../../gateway/src/plugins/contract';
import type { Snapshot } from '../../../../gateway/src/data-plane/types';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';

/** Validates a config document (filling defaults); throws listing the problems when invalid. */
export function validConfig(document: unknown): GatewayConfig {
  const result = validateConfig(document);
  if (!result.ok) throw new Error(`test config is invalid:\n${formatProblems(result.problems)}`);
  return result.value;
}

/** A single upstream on an unused port; routing tests never send traffic. */
export const UPSTREAMS = [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }];

/** Compiles routes (against the `u` upstream unless they say otherwise) into a snapshot. */
export function compileRoutes(
  registry: TargetRegistry,
  routes: ReadonlyArray<Record<string, unknown>>,
  plugins?: PluginChainFactory,
): Snapshot {
  const config = validConfig({ upstreams: UPSTREAMS, routes: routes.map((r) => ({ upstream: 'u', ...r })) });
  return compileSnapshot(config, { version: 1, checksum: 'test' }, { targets: registry, plugins });
}
