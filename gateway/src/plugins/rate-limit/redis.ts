/**
 * The Redis-backed store: shared GCRA limits, one EVALSHA per decision. A decision never waits
 * longer than the budget: past it (or on any error, or while the breaker is open) the node decides
 * with its local limiter (limits ÷ node count), or denies where the route fails closed.
 *
 * No over-admission across an outage: the local limiter mirrors what Redis admitted on this node,
 * so an outage starts from the node's real consumption, not a full share; and a key decided locally
 * stays bound by the local share after Redis is back (Redis must admit and so must the local
 * limiter) until its local state has drained, one window at most. Redis and local decisions so never
 * add up, whether Redis came back with its counters (a freeze, a failover) or without them (a restart).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { PluginLogger } from '../contract';
import { BudgetQueue, type PendingDecision } from './budget';
import { CircuitBreaker } from './breaker';
import { LocalLimiter } from './local';
import { unscrapedRateLimitMetrics, type RateLimitMetrics } from './metrics';
import { GCRA_SCRIPT, GCRA_SHA1, isNoScript } from './script';
import type { FailureMode, LimitSpec, RateLimitDecision, RateLimitStore } from './store';
import { WriteBatcher } from './write-batch';

export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 1_000;
const DISCONNECT_TIMEOUT_MS = 100;
const UNAVAILABLE_RETRY_MS = 1_000;
const ERROR_LOG_INTERVAL_MS = 10_000;
/** Keys remembered as decided locally; past it a key is not held after the outage (memory bound). */
const MAX_OUTAGE_KEYS = 100_000;

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL, with `user:password@` for AUTH. */
  readonly url: string;
  /** Treat the URL as a Redis Cluster seed node. */
  readonly cluster?: boolean;
  readonly keyPrefix: string;
  /** Longest wait for one decision. */
  readonly budgetMs: number;
  /** Nodes sharing the limits; the local fallback allows limit ÷ this. */
  readonly nodeCount: number;
  readonly logger?: PluginLogger;
  readonly breakerFailures?: number;
  readonly breakerProbeIntervalMs?: number;
  /** Where decisions, fallbacks and breaker changes are counted. */
  readonly metrics?: RateLimitMetrics;
}

type GcraClient = Redis | Cluster;

/**
 * Connection options that keep a dead Redis from holding requests: no offline queue, fast connect
 * timeout. No command timeout: the decision budget bounds each decision (a command past it is
 * abandoned, and the breaker stops sending after a few), and ioredis would arm a timer per command.
 */
function connectionOptions(url: URL): RedisOptions {
  return {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? { servername: url.hostname } : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    // ioredis arms this timer even for a socket that already closed; keep it short so close() is prompt.
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    // Off: ioredis auto-pipelining sends a batch only once the previous batch's replies are in (one
    // pipeline in flight per connection), so decisions queue behind a round trip; it also cost more
    // gateway CPU per decision than plain commands (docs/BENCHMARKS.md). WriteBatcher coalesces writes
    // without that wait.
  };
}

/** Creates the ioredis client (single node or Cluster) the store sends its EVALSHA calls on. */
export function createRedisClient(urlText: string, cluster = false): GcraClient {
  const url = new URL(urlText);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got "${url.protocol}//"`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 6379;
  const options = connectionOptions(url);
  const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), MAX_RECONNECT_DELAY_MS);
  const client = cluster
    ? new Cluster([{ host, port }], {
        redisOptions: { ...options, db: undefined },
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        // ElastiCache TLS certificates name the configuration endpoint, not the node IPs.
        dnsLookup: (address, callback) => callback(null, address),
      })
    : new Redis({ ...options, host, port, retryStrategy });
  return client;
}

/** Escapes the characters that would break a Cluster hash tag. */
function tagSafe(key: string): string {
  return /[{}%]/.test(key) ? key.replace(/[{}%]/g, (c) => encodeURIComponent(c)) : key;
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  readonly breaker: CircuitBreaker;
  readonly metrics: RateLimitMetrics;
  private readonly local = new LocalLimiter();
  private readonly budget: BudgetQueue;
  private readonly batcher: WriteBatcher;
  private readonly limitArgs = new WeakMap<readonly LimitSpec[], string[]>();
  /** Keys decided locally whose local state has not drained yet: Redis alone does not decide them. */
  private readonly outageKeys = new Set<string>();
  private lastErrorLog = -Infinity;

  constructor(
    private readonly client: GcraClient,
    private readonly options: Omit<RedisStoreOptions, 'url' | 'cluster'>,
  ) {
    const metrics = (this.metrics = options.metrics ?? unscrapedRateLimitMetrics());
    this.breaker = new CircuitBreaker({
      failures: options.breakerFailures,
      probeIntervalMs: options.breakerProbeIntervalMs,
      onChange: (state) => {
        metrics.breakerTransition(state);
        options.logger?.[state === 'open' ? 'warn' : 'info']({ breaker: state }, `rate-limit Redis breaker ${state}`);
      },
    });
    metrics.breakerState('closed');
    this.budget = new BudgetQueue(options.budgetMs);
    this.batcher = new WriteBatcher(
      client instanceof Cluster ? () => client.nodes('master').map((node) => node.stream) : () => [(client as Redis).stream],
    );
    client.on('error', (err: Error) => this.logError('connection', err));
  }

  decide(key: string, limits: readonly LimitSpec[], onFailure: FailureMode): RateLimitDecision | Promise<RateLimitDecision> {
    if (!this.breaker.allow()) return this.fallback('breaker-open', key, limits, onFailure);
    const args = this.argsFor(key, limits);
    return new Promise<RateLimitDecision>((resolve) => {
      const pending = new RedisDecision(this, key, limits, onFailure, resolve, args);
      this.budget.add(pending);
      this.send(pending, false);
    });
  }

  /**
   * @internal Sends a decision's script call: EVALSHA directly (no ioredis Script wrapper, one
   * command), or, once Redis said NOSCRIPT, EVAL, which also loads the script for the next calls.
   */
  send(d: RedisDecision, withScript: boolean): void {
    this.batcher.join();
    const call = withScript ? this.client.eval(GCRA_SCRIPT, d.limits.length, ...d.args) : this.client.evalsha(GCRA_SHA1, d.limits.length, ...d.args);
    call.then(
      (reply) => d.reply(reply as number[]),
      (err: Error) => d.fail(err),
    );
  }

  /** KEYS then ARGV of the script; the per-limit arguments are computed once per limit list. */
  private argsFor(key: string, limits: readonly LimitSpec[]): (string | number)[] {
    let tail = this.limitArgs.get(limits);
    if (tail === undefined) {
      tail = [];
      for (const l of limits) {
        const interval = (l.windowMs * 1000) / l.count;
        tail.push(String(interval), String(interval * l.burst));
      }
      this.limitArgs.set(limits, tail);
    }
    const tag = this.options.keyPrefix + 'rl:{' + tagSafe(key) + '}:';
    const args: (string | number)[] = [];
    for (const l of limits) args.push(tag + l.id);
    for (const a of tail) args.push(a);
    return args;
  }

  /** @internal A decision's reply arrived in time. */
  settleReply(d: RedisDecision, reply: number[]): void {
    this.breaker.success();
    const decision = fromReply(reply, d.limits);
    if (!decision.allowed) return d.resolve(decision);
    const local = this.local.decide(d.key, d.limits, this.options.nodeCount, 'local');
    if (this.outageKeys.size > 0 && this.outageKeys.has(d.key)) {
      if (!this.local.holds(d.key, d.limits)) this.outageKeys.delete(d.key);
      else if (!local.allowed) {
        this.metrics.outageHeld();
        return d.resolve({ ...local, source: 'redis' });
      }
    }
    d.resolve(decision);
  }

  /** @internal A decision failed (`err`) or ran out of budget (no `err`). */
  settleFailure(d: RedisDecision, err?: Error): void {
    this.breaker.failure();
    if (err) this.logError('command', err);
    d.resolve(this.fallback(err ? 'error' : 'timeout', d.key, d.limits, d.onFailure));
  }

  /** Resolves once connected (decisions before that are taken locally); rejects after `timeoutMs`. */
  async connected(timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.client.status !== 'ready') {
      if (performance.now() > deadline) throw new Error(`Redis not connected after ${timeoutMs} ms (status ${this.client.status})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.batcher.flush();
    this.budget.close();
    this.local.close();
    this.client.disconnect();
  }

  private fallback(reason: string, key: string, limits: readonly LimitSpec[], onFailure: FailureMode): RateLimitDecision {
    this.metrics.degraded(reason);
    if (onFailure === 'deny')
      return { allowed: false, limit: limits[0]!.count, windowMs: limits[0]!.windowMs, remaining: 0, resetMs: UNAVAILABLE_RETRY_MS, retryAfterMs: UNAVAILABLE_RETRY_MS, source: 'unavailable' };
    if (this.outageKeys.size < MAX_OUTAGE_KEYS) this.outageKeys.add(key);
    return this.local.decide(key, limits, this.options.nodeCount, 'local');
  }

  private logError(kind: string, err: Error): void {
    const now = performance.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog = now;
    this.options.logger?.warn({ err: err.message, kind }, 'rate-limit Redis unavailable; deciding locally');
  }
}

/** One decision in flight: settles once, with the reply, the error, or the budget's expiry. */
class RedisDecision implements PendingDecision {
  settled = false;
  deadline = 0;
  /** Sent again with the script after NOSCRIPT (once). */
  private withScript = false;

  constructor(
    private readonly store: RedisRateLimitStore,
    readonly key: string,
    readonly limits: readonly LimitSpec[],
    readonly onFailure: FailureMode,
    readonly resolve: (d: RateLimitDecision) => void,
    readonly args: readonly (string | number)[],
  ) {}

  reply(reply: number[]): void {
    if (this.settled) return;
    this.settled = true;
    this.store.settleReply(this, reply);
  }

  fail(err: Error): void {
    if (this.settled) return;
    if (!this.withScript && isNoScript(err)) {
      this.withScript = true;
      return this.store.send(this, true);
    }
    this.settled = true;
    this.store.settleFailure(this, err);
  }

  expire(): void {
    if (this.settled) return;
    this.settled = true;
    this.store.settleFailure(this);
  }
}

/** Reads the script's reply: allowed, then which limit decided (from 1), its remaining, reset and retry-after. */
function fromReply(reply: number[], limits: readonly LimitSpec[]): RateLimitDecision {
  const l = limits[reply[1]! - 1]!;
  return {
    allowed: reply[0] === 1,
    limit: l.count,
    windowMs: l.windowMs,
    remaining: reply[2]!,
    resetMs: reply[3]!,
    retryAfterMs: reply[4]!,
    source: 'redis',
  };
}
