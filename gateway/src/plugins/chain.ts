/**
 * The plugin chain of one route: per phase, the handlers of the configured plugins in priority
 * order, each bound to its prepared config. A phase without handlers costs a loop over an empty
 * array; synchronous handlers never allocate a promise. A handler that throws or rejects stops the
 * chain with a 500 (auth never fails open); the detail goes to the log.
 */
import { EMPTY_CHAIN, type GatewayPlugin, type PluginAnswer, type PluginChain, type PluginLogger, type RequestContext } from './contract';

type Decision = PluginAnswer | void;
type DecisionHandler = (ctx: RequestContext, conf: unknown) => Decision | Promise<Decision>;

interface Step<F> {
  readonly plugin: string;
  readonly run: F;
  readonly conf: unknown;
}

type DecisionStep = Step<DecisionHandler>;
type HeadersStep = Step<(ctx: RequestContext, conf: unknown, status: number, headers: Record<string, string | string[] | undefined>) => void>;
type LogStep = Step<(ctx: RequestContext, conf: unknown, status: number) => void>;

/** A plugin with the config it runs with on this route. */
export interface ConfiguredPlugin {
  readonly plugin: GatewayPlugin<unknown, unknown>;
  readonly conf: unknown;
}

const INTERNAL_ERROR: PluginAnswer = { status: 500, error: 'GW_ERR_INTERNAL' };

function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

class ConfiguredChain implements PluginChain {
  readonly empty = false;

  constructor(
    private readonly rewriteSteps: readonly DecisionStep[],
    private readonly accessSteps: readonly DecisionStep[],
    private readonly headerSteps: readonly HeadersStep[],
    private readonly logSteps: readonly LogStep[],
    private readonly logger: PluginLogger | undefined,
  ) {}

  rewrite(ctx: RequestContext): Decision | Promise<Decision> {
    return this.rewriteSteps.length === 0 ? undefined : this.run(this.rewriteSteps, ctx, 0);
  }

  access(ctx: RequestContext): Decision | Promise<Decision> {
    return this.accessSteps.length === 0 ? undefined : this.run(this.accessSteps, ctx, 0);
  }

  responseHeaders(ctx: RequestContext, status: number, headers: Record<string, string | string[] | undefined>): void {
    for (const name in ctx.responseHeaders) headers[name] = ctx.responseHeaders[name];
    for (const step of this.headerSteps) {
      try {
        step.run(ctx, step.conf, status, headers);
      } catch (err) {
        this.fail(step.plugin, ctx, err);
      }
    }
  }

  log(ctx: RequestContext, status: number): void {
    for (const step of this.logSteps) {
      try {
        step.run(ctx, step.conf, status);
      } catch (err) {
        this.fail(step.plugin, ctx, err);
      }
    }
  }

  /** Runs decision steps from `from` on; continues asynchronously only when a handler returns a promise. */
  private run(steps: readonly DecisionStep[], ctx: RequestContext, from: number): Decision | Promise<Decision> {
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      let result: Decision | Promise<Decision>;
      try {
        result = step.run(ctx, step.conf);
      } catch (err) {
        return this.fail(step.plugin, ctx, err);
      }
      if (result === undefined) continue;
      if (isPromise<Decision>(result))
        return result.then(
          (answer) => (answer ? answer : this.run(steps, ctx, i + 1)),
          (err: unknown) => this.fail(step.plugin, ctx, err),
        );
      return result;
    }
    return undefined;
  }

  private fail(plugin: string, ctx: RequestContext, err: unknown): PluginAnswer {
    this.logger?.error({ plugin, requestId: ctx.requestId, route: ctx.route.id, err }, 'plugin failed; answering 500');
    return INTERNAL_ERROR;
  }
}

/** Builds the chain for the given plugins (any order; sorted here by priority, highest first). */
export function buildChain(configured: readonly ConfiguredPlugin[], logger?: PluginLogger): PluginChain {
  if (configured.length === 0) return EMPTY_CHAIN;
  const sorted = [...configured].sort((a, b) => b.plugin.priority - a.plugin.priority || a.plugin.name.localeCompare(b.plugin.name));
  const rewrite: DecisionStep[] = [];
  const access: DecisionStep[] = [];
  const headers: HeadersStep[] = [];
  const log: LogStep[] = [];
  for (const { plugin, conf } of sorted) {
    const name = plugin.name;
    if (plugin.rewrite) rewrite.push({ plugin: name, run: plugin.rewrite.bind(plugin) as DecisionHandler, conf });
    if (plugin.access) access.push({ plugin: name, run: plugin.access.bind(plugin) as DecisionHandler, conf });
    if (plugin.responseHeaders) headers.push({ plugin: name, run: plugin.responseHeaders.bind(plugin), conf });
    if (plugin.log) log.push({ plugin: name, run: plugin.log.bind(plugin), conf });
  }
  return new ConfiguredChain(rewrite, access, headers, log, logger);
}
