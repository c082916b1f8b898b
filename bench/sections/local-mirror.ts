/**
 * The CPU of the local mirror the Redis rate-limit store keeps (every admitted Redis decision is also
 * taken by the node's local limiter, so an outage starts from the node's real consumption): the
 * limiter's decision timed alone, in this process, over keys that rotate like consumers do.
 */
import { LocalLimiter, limitSpec } from '../../gateway/src/plugins/rate-limit';

const DECISIONS = 500_000;
const KEYS = 1_000;
const LIMITS = [limitSpec(1_000_000_000, 1_000), limitSpec(1_000_000_000, 3_600_000)];

export function measureLocalMirror(): { nsPerDecision: number } {
  const limiter = new LocalLimiter();
  const keys = Array.from({ length: KEYS }, (_, i) => `c=consumer-${i}`);
  try {
    for (let i = 0; i < DECISIONS / 10; i++) limiter.decide(keys[i % KEYS]!, LIMITS, 3, 'local');
    const started = process.hrtime.bigint();
    for (let i = 0; i < DECISIONS; i++) limiter.decide(keys[i % KEYS]!, LIMITS, 3, 'local');
    return { nsPerDecision: Number(process.hrtime.bigint() - started) / DECISIONS };
  } finally {
    limiter.close();
  }
}
