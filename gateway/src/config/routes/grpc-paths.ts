/**
 * The path patterns a route matches: its `paths`, or the ones its `grpc` match compiles to. A gRPC
 * call's path is `/<service>/<method>`, so a service is the prefix `/<service>/*` and each method
 * the exact path `/<service>/<method>`; the names are checked by the schema (config/grpc-names.ts)
 * and cannot carry `/`, `*` or escapes into the patterns.
 */
import type { GrpcMatchConfig, RouteConfig } from '../schema';

/** The path patterns of a gRPC match. */
export function grpcPaths(grpc: GrpcMatchConfig): string[] {
  if (!grpc.methods) return [`/${grpc.service}/*`];
  return grpc.methods.map((method) => `/${grpc.service}/${method}`);
}

/** The route's path patterns (empty for a route with neither `paths` nor `grpc`, which validation refuses). */
export function routePaths(route: RouteConfig): readonly string[] {
  if (route.paths) return route.paths;
  return route.grpc ? grpcPaths(route.grpc) : [];
}
