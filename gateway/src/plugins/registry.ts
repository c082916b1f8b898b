/**
 * The known plugins, seen from the two sides that use them: the config validator (checks every
 * plugin slot against the plugin's schema, fills defaults) and the snapshot compiler (builds each
 * route's chain, preparing every plugin config once per config load).
 */
import type { TSchema } from '@sinclair/typebox';
import type { ConsumerConfig, GatewayConfig, PluginScope, RouteConfig } from '../config/schema';
import type { PluginConfigChecker } from '../config/validate';
import { validateAgainst, type ValidationResult } from '../config/schema-check';
import { GatehouseError, type Problem } from '../core/errors';
import { buildChain, type ConfiguredPlugin } from './chain';
import type { ConsumerIndex, ConsumerIndexUpdate, GatewayPlugin, PluginChain, PluginChainFactory, PluginServices } from './contract';
import { CredentialIndex } from './consumer-index';

// The registry holds plugins of every config type; each plugin only ever sees its own config.
export type AnyPlugin = GatewayPlugin<any, any, any>;

type Scope = PluginScope;

/** Validates plugin slots: unknown names, schema (defaults filled), then the plugin's own checks. */
export class PluginCatalogue implements PluginConfigChecker {
  private readonly byName: ReadonlyMap<string, AnyPlugin>;

  constructor(readonly plugins: readonly AnyPlugin[]) {
    this.byName = new Map(plugins.map((p) => [p.name, p]));
  }

  get names(): string[] {
    return [...this.byName.keys()].sort();
  }

  get(name: string): AnyPlugin | undefined {
    return this.byName.get(name);
  }

  credentialsOf(consumer: ConsumerConfig): string[] {
    const out: string[] = [];
    for (const [name, slot] of Object.entries(consumer.plugins ?? {})) {
      const credential = slot === false ? undefined : this.byName.get(name)?.credentialOf?.(slot);
      if (credential !== undefined) out.push(`${name}\0${credential}`);
    }
    return out;
  }

  slotSchema(scope: Scope, name: string): TSchema | undefined {
    const plugin = this.byName.get(name);
    return scope === 'consumer' ? plugin?.consumerSchema : plugin?.schema;
  }

  check(scope: Scope, name: string, config: unknown, path: string, document?: GatewayConfig): ValidationResult<unknown> {
    const plugin = this.byName.get(name);
    if (!plugin)
      return fail({ path, message: `unknown plugin "${name}".`, fix: `use one of the known plugins: ${this.names.join(', ')}.` });
    if (config === false) return this.checkDisable(scope, name, path, document);
    if (scope === 'consumer') {
      if (!plugin.consumerSchema) {
        const takers = this.plugins.filter((p) => p.consumerSchema).map((p) => p.name).sort();
        return fail({
          path,
          message: `plugin "${name}" takes no per-consumer config.`,
          fix: `remove it from the consumer; consumers configure only ${takers.join(', ')}.`,
        });
      }
      const shaped = validateAgainst<unknown>(plugin.consumerSchema, config, path);
      if (!shaped.ok || !plugin.checkConsumer) return shaped;
      return settle(plugin.checkConsumer(shaped.value, { scope, path, document }), shaped.value);
    }
    const shaped = validateAgainst<unknown>(plugin.schema, config, path);
    if (!shaped.ok || !plugin.check) return shaped;
    return settle(plugin.check(shaped.value, { scope, path, document }), shaped.value);
  }

  /** `false` in a route's slot switches a global plugin off for that route (a public health path, say). */
  private checkDisable(scope: Scope, name: string, path: string, document?: GatewayConfig): ValidationResult<unknown> {
    if (scope !== 'route')
      return fail({ path, message: `"${name}: false" only means something on a route.`, fix: 'remove the slot, or give the plugin a config object.' });
    if (document && !(name in (document.plugins ?? {})))
      return fail({
        path,
        message: `"${name}: false" disables a global plugin, but "${name}" is not configured globally.`,
        fix: `remove the slot, or configure "${name}" under the top-level plugins.`,
      });
    return { ok: true, value: false };
  }
}

function fail(problem: Problem): ValidationResult<unknown> {
  return { ok: false, problems: [problem] };
}

function settle(result: Problem[] | { value: unknown }, shaped: unknown): ValidationResult<unknown> {
  if (Array.isArray(result)) return result.length ? { ok: false, problems: result } : { ok: true, value: shaped };
  return { ok: true, value: result.value };
}

/**
 * Builds route chains. Global and route slots merge by plugin name (the route's config replaces the
 * global one; `false` switches the global one off). Global configs are prepared once per config document; route configs once per route.
 */
export class PluginChainBuilder implements PluginChainFactory {
  private preparedGlobals = new WeakMap<GatewayConfig, Map<string, unknown>>();

  constructor(
    private readonly catalogue: PluginCatalogue,
    private readonly services: PluginServices,
  ) {}

  forRoute(route: RouteConfig, config: GatewayConfig, checkedBy?: PluginConfigChecker): PluginChain {
    const globals = config.plugins ?? {};
    const own = route.plugins ?? {};
    const names = new Set([...Object.keys(globals), ...Object.keys(own)]);
    if (names.size === 0) return buildChain([]);
    const configured: ConfiguredPlugin[] = [];
    for (const name of names) {
      if (own[name] === false) continue;
      const plugin = this.catalogue.get(name);
      if (!plugin) throw invalid(`/routes/${route.id}/plugins/${name}`, `unknown plugin "${name}".`, `use one of: ${this.catalogue.names.join(', ')}.`);
      const checked = checkedBy === this.catalogue;
      const conf = name in own ? this.prepare(plugin, own[name], config, route, checked) : this.prepareGlobal(plugin, globals[name], config, checked);
      configured.push({ plugin, conf });
    }
    return buildChain(configured, this.services.logger);
  }

  dispose(): void {
    this.preparedGlobals = new WeakMap();
  }

  *consumerIndex(consumers: readonly ConsumerConfig[], update?: ConsumerIndexUpdate): Generator<void, ConsumerIndex> {
    const previous = update?.previous;
    if (previous instanceof CredentialIndex && previous.sameCatalogue(this.catalogue)) return previous.withChanges(update!.removed, update!.added);
    return yield* CredentialIndex.build(this.catalogue, consumers);
  }

  private prepareGlobal(plugin: AnyPlugin, raw: unknown, config: GatewayConfig, checked: boolean): unknown {
    let cache = this.preparedGlobals.get(config);
    if (!cache) {
      cache = new Map();
      this.preparedGlobals.set(config, cache);
    }
    if (!cache.has(plugin.name)) cache.set(plugin.name, this.prepare(plugin, raw, config, undefined, checked));
    return cache.get(plugin.name);
  }

  /**
   * `checked`: the slot is this catalogue's output from validation, used as it is. Otherwise (a config
   * compiled without validating it against this catalogue) it is checked here, which fills defaults and
   * fails compilation instead of running a half-valid plugin.
   */
  private prepare(plugin: AnyPlugin, raw: unknown, config: GatewayConfig, route: RouteConfig | undefined, checked: boolean): unknown {
    const conf = checked ? raw : this.check(plugin, raw, config, route);
    return plugin.prepare ? plugin.prepare(conf, { route, consumers: config.consumers ?? [], services: this.services }) : conf;
  }

  private check(plugin: AnyPlugin, raw: unknown, config: GatewayConfig, route: RouteConfig | undefined): unknown {
    const path = route ? `/routes/${route.id}/plugins/${plugin.name}` : `/plugins/${plugin.name}`;
    const result = this.catalogue.check(route ? 'route' : 'global', plugin.name, raw, path, config);
    if (!result.ok) throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, result.problems);
    return result.value;
  }
}

function invalid(path: string, message: string, fix: string): GatehouseError {
  return new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, [{ path, message, fix }]);
}
