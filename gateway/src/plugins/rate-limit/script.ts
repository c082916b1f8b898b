/**
 * The Redis side of a decision: GCRA over every limit of a request in one atomic script, so a
 * decision is one round trip (EVALSHA, and EVAL, which also loads it, when Redis answers NOSCRIPT). Time comes from the
 * Redis server (TIME), so nodes with skewed clocks still share one timeline.
 *
 * KEYS[i]: the counter of limit i (all keys of one call share a hash tag: one Cluster slot).
 * ARGV[2i-1], ARGV[2i]: emission interval and burst tolerance of limit i, in microseconds.
 * Returns { allowed, i, remaining, reset_ms, retry_after_ms } of limit i, the one that decides: the
 * rejecting limit with the longest wait, or, when all admit, the one with least left (the first on
 * ties). Five integers rather than four per limit: decoding the reply is a good part of the client's
 * CPU per decision.
 * A request rejected by one limit consumes none.
 */
import { createHash } from 'node:crypto';

export const GCRA_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed = 1
local best, remaining, reset, retry = 1, math.huge, 0, -1
local next_tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local tau = tonumber(ARGV[2 * i])
  local tat = now
  local stored = redis.call('GET', KEYS[i])
  if stored then
    tat = tonumber(stored)
    if tat < now then tat = now end
  end
  local next_tat = tat + interval
  local allow_at = next_tat - tau
  if allow_at - now > 0.001 then
    local wait = math.ceil((allow_at - now) / 1000)
    if allowed == 1 or wait > retry then
      best, remaining, reset, retry = i, 0, math.ceil((tat - now) / 1000), wait
    end
    allowed = 0
  else
    next_tats[i] = next_tat
    local left = math.floor((tau - (next_tat - now)) / interval + 0.000001)
    if allowed == 1 and left < remaining then
      best, remaining, reset, retry = i, left, math.ceil((next_tat - now) / 1000), 0
    end
  end
end
if allowed == 1 then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%.0f', next_tats[i]), 'PX', math.ceil((next_tats[i] - now) / 1000) + 1)
  end
end
return { allowed, best, remaining, reset, retry }
`;

/** What EVALSHA names the script by. */
export const GCRA_SHA1 = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

/** True for Redis's answer to EVALSHA of a script it has not loaded (a restart, a failover, SCRIPT FLUSH). */
export function isNoScript(err: Error): boolean {
  return err.message.startsWith('NOSCRIPT');
}
