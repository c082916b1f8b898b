/**
 * The intended-drop guard against the classic gateway outage (a data plane receiving an empty or
 * truncated config and dropping all traffic): a version that removes all routes, or more than a
 * threshold share of them, is refused unless its writer marked it `intendedDrop` (admin write with
 * `?allowDrop=true`). The admin API refuses such writes up front; data planes check again, because a
 * version can also reach them from a restored database, a hand-edited row or a bug.
 */

/** Why a version is refused, or undefined when it may be applied. */
export function dropRefusal(
  runningRoutes: number | undefined,
  next: { routeCount: number; intendedDrop: boolean },
  thresholdPercent: number,
): string | undefined {
  if (next.intendedDrop || runningRoutes === undefined || runningRoutes === 0 || thresholdPercent >= 100) return undefined;
  if (next.routeCount === 0) return `it has no routes while ${runningRoutes} are running`;
  const droppedPercent = ((runningRoutes - next.routeCount) / runningRoutes) * 100;
  if (droppedPercent > thresholdPercent)
    return `it drops ${runningRoutes - next.routeCount} of ${runningRoutes} routes (${droppedPercent.toFixed(0)}% > ${thresholdPercent}%)`;
  return undefined;
}
