/**
 * A route as the compiler reads it: parsed path patterns and its forward-path function. Config
 * validation makes the plans (`validateConfig` returns them) and the compiler consumes them, so a
 * config that validates always compiles and patterns are parsed once.
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
