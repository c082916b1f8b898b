/**
 * `grpc-timeout` (gRPC over HTTP/2, "Requests"): the client's deadline as 1-8 digits and a unit.
 * The gateway honours it, capped by the route's request timeout, and forwards what is left of it.
 */

const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };

/** The deadline in ms (rounded up, at least 1), or undefined when the value is absent or malformed. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Math.max(1, Math.ceil(Number(m[1]) * UNIT_MS[m[2]]));
}

/** A deadline as the header value upstreams read (milliseconds). */
export function formatGrpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}
