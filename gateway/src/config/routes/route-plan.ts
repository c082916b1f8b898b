/**
 * A route as the compiler reads it: parsed path patterns and its forward-path function. The same
 * reading backs config validation (`routeProblems`), so a config that validates always compiles.
 */
import type { RouteConfig } from '../schema';
import type { Problem } from '../../core/errors';
import { buildForwardPath, type ForwardPath } from './forward-path';
import { parsePattern, type PathPattern } from './pattern';

export interface RoutePlan {
  readonly config: RouteConfig;
  readonly patterns: readonly PathPattern[];
  readonly forwardPath: ForwardPath;
}

/** Parses the route at `/routes/<index>`; adds what is wrong to `problems` and returns undefined then. */
export function planRoute(route: RouteConfig, index: number, problems: Problem[]): RoutePlan | undefined {
  const patterns: PathPattern[] = [];
  route.paths.forEach((source, j) => {
    const parsed = parsePattern(source);
    if (parsed.ok) patterns.push(parsed.pattern);
    else problems.push({ path: `/routes/${index}/paths/${j}`, message: parsed.message, fix: parsed.fix });
  });
  if (patterns.length !== route.paths.length) return undefined;
  const forward = buildForwardPath(route, patterns);
  if (!forward.ok) {
    problems.push({ path: `/routes/${index}/rewritePath`, message: forward.message, fix: forward.fix });
    return undefined;
  }
  return { config: route, patterns, forwardPath: forward.forwardPath };
}

/** What keeps the route at `/routes/<index>` from compiling: bad patterns or an unusable rewritePath. */
export function routeProblems(route: RouteConfig, index: number): Problem[] {
  const problems: Problem[] = [];
  planRoute(route, index, problems);
  return problems;
}
