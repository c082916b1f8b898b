/**
 * A route as the compiler reads it: parsed path patterns and its forward-path function. Config
 * validation makes the plans (`validateConfig` returns them) and the compiler consumes them, so a
 * config that validates always compiles and patterns are parsed once.
 */
import type { RouteConfig } from '../schema';
import type { Problem } from '../../core/errors';
import { buildForwardPath, type ForwardPath } from './forward-path';
import { parsePattern, type PathPattern } from './pattern';
import { routePaths } from './grpc-paths';

/** A route with neither `paths` nor `grpc` would match nothing. */
export const NEEDS_PATHS = {
  message: 'a route needs "paths" or "grpc".',
  fix: 'add "paths" (e.g. ["/api/*"]) or "grpc" (e.g. { service: "helloworld.Greeter" }).',
} as const;

export interface RoutePlan {
  readonly config: RouteConfig;
  readonly patterns: readonly PathPattern[];
  readonly forwardPath: ForwardPath;
}

/** Parses the route at `/routes/<index>`; adds what is wrong to `problems` and returns undefined then. */
export function planRoute(route: RouteConfig, index: number, problems: Problem[]): RoutePlan | undefined {
  const patterns: PathPattern[] = [];
  const sources = routePaths(route);
  if (sources.length === 0) {
    problems.push({ path: `/routes/${index}`, message: NEEDS_PATHS.message, fix: NEEDS_PATHS.fix });
    return undefined;
  }
  sources.forEach((source, j) => {
    const parsed = parsePattern(source);
    if (parsed.ok) patterns.push(parsed.pattern);
    else problems.push({ path: route.paths ? `/routes/${index}/paths/${j}` : `/routes/${index}/grpc`, message: parsed.message, fix: parsed.fix });
  });
  if (patterns.length !== sources.length) return undefined;
  const forward = buildForwardPath(route, patterns);
  if (!forward.ok) {
    problems.push({ path: `/routes/${index}/rewritePath`, message: forward.message, fix: forward.fix });
    return undefined;
  }
  return { config: route, patterns, forwardPath: forward.forwardPath };
}
