/** What a change does to a config: added, removed and changed ids per kind. */
import { canonicalJson } from '../core/checksum';
import type { GatewayConfig } from '../config/schema';

export interface KindDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface ConfigDiff {
  routes: KindDiff;
  upstreams: KindDiff;
  consumers: KindDiff;
  plugins: KindDiff;
  /** True when nothing differs. */
  unchanged: boolean;
}

function diffEntries(before: Map<string, unknown>, after: Map<string, unknown>): KindDiff {
  const d: KindDiff = { added: [], removed: [], changed: [] };
  for (const [id, value] of after) {
    if (!before.has(id)) d.added.push(id);
    else if (canonicalJson(before.get(id)) !== canonicalJson(value)) d.changed.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) d.removed.push(id);
  return d;
}

const byId = (items: readonly { id: string }[]) => new Map(items.map((i) => [i.id, i as unknown]));

/** Diffs two validated documents. */
export function diffConfigs(before: GatewayConfig, after: GatewayConfig): ConfigDiff {
  const routes = diffEntries(byId(before.routes), byId(after.routes));
  const upstreams = diffEntries(byId(before.upstreams), byId(after.upstreams));
  const consumers = diffEntries(byId(before.consumers), byId(after.consumers));
  const plugins = diffEntries(new Map(Object.entries(before.plugins ?? {})), new Map(Object.entries(after.plugins ?? {})));
  const unchanged = [routes, upstreams, consumers, plugins].every((k) => !k.added.length && !k.removed.length && !k.changed.length);
  return { routes, upstreams, consumers, plugins, unchanged };
}
